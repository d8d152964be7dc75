"""Static WTForms classes (the questionnaire form builder lives beside them)."""
