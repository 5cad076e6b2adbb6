"""Airflow provider that deletes HPC and cloud jobs in batches and confirms they are gone."""
__version__ = "0.1.0"
