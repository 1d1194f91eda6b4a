"""Helpers for the person at the notebook: the tutorials' shared helpers (``teach``) and
``wan_nb.doctor()`` (``doctor``)."""
