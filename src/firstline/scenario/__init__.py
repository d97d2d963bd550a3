"""The demo world generator (`./firstline scenario`, `manage load_scenario`): the top
floor of the house, writing through every app's models and services.

`world.build_world` fills an empty database from a seed; `world.reset_world` empties it.
"""
