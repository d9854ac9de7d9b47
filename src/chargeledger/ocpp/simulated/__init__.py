"""Simulated chargers for the demo and the tests: ocpp-library charge points that run plausible sessions and answer
every command the gateway can send the way real chargers do (answer first, then act: a remote stop is acknowledged,
then the transaction ends with reason Remote a moment later).

plan.py draws sessions and keeps charger time; hardware.py is the charger's state (connector, configuration,
what an operator asked it to do); charger16.py and charger201.py speak the two protocols; drive.py runs sessions.
"""
