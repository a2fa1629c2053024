"""Tools for testing rectify policies and code that embeds rectify.

Needs the ``testing`` extra (hypothesis).  Importing :mod:`rectify` never
imports this package.
"""
