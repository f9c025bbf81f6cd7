from django.tasks import task


@task
def generate_monitoring_report(job_id: int) -> str:
    from .reports import generate

    return generate(job_id).status
