"""Airflow provider that deletes HPC and cloud jobs in batches and confirms they are gone."""

#: the package version, and the only place it is written (pyproject.toml and the provider info read it)
__version__ = "0.1.0"
