"""Reference data and code rules: USCC (GB 32100-2015), enterprise size (划型标准), Chinese working days.

``uscc``, ``size`` and ``workdays`` are pure Python (no Django import); ``loader`` and ``selectors`` use the ORM.
"""
