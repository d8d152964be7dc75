"""PDF reports and charts: a shared ReportLab base, Drawings for PDF and web, report builders.

Builders take plain results dataclasses (fetched first by the services) and
return PDF bytes; charts return Drawings that render into the PDF and, via
:func:`assessor.reports.charts.to_svg`, into the HTML pages.
"""

from assessor.reports.base import ReportDocument, esc, format_date, report_styles, text
from assessor.reports.candidate import (
    CandidateProfileData,
    build_candidate_profile,
    sample_candidate_profile_data,
)
from assessor.reports.charts import competency_bars, heatmap, priority_bars, radar_chart, to_svg
from assessor.reports.fonts import register_fonts

__all__ = [
    "CandidateProfileData",
    "ReportDocument",
    "build_candidate_profile",
    "competency_bars",
    "esc",
    "format_date",
    "heatmap",
    "priority_bars",
    "radar_chart",
    "register_fonts",
    "report_styles",
    "sample_candidate_profile_data",
    "text",
    "to_svg",
]
