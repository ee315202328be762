"""Local ERP servers for the demo and the tests: a real Tryton on loopback, a small REST ERP.

They share no code with the connectors that talk to them, so each checks the other.
"""
