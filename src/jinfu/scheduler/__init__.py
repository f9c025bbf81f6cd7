"""Scheduled jobs (nightly credit refresh, PSI monitoring, daily task and SLA checks …), declared by each
module through its contract (``ModuleContract.schedules``) and run by ``jinfu scheduler``."""
