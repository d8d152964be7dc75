"""Package discovery that PEP 621 metadata cannot express on its own.

The top-level ``templates/`` folder ships inside the wheel as
``assessor/templates`` (and instrument YAML folders as data packages), so
``pip install .`` gives a complete app.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).parent
packages = find_namespace_packages(
    include=[
        "assessor",
        "assessor.*",
        "questionnaires",
        "questionnaires.*",
        "scoring",
        "scoring.*",
    ],
    exclude=["*.__pycache__"],
)
template_packages = {"assessor.templates": "templates"}
for folder in sorted((ROOT / "templates").rglob("*")):
    if folder.is_dir() and folder.name != "__pycache__":
        relative = folder.relative_to(ROOT / "templates")
        template_packages["assessor.templates." + ".".join(relative.parts)] = str(
            Path("templates", *relative.parts)
        )

setup(
    packages=packages + sorted(template_packages),
    package_dir=template_packages,
    package_data={"": ["*.yaml", "*.html", "*.css", "*.js", "*.svg", "*.md", "*.mako", "*.ttf"]},
)
