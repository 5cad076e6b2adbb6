"""One hook per service family; every hook answers the same three questions (see ``base.py``)."""
