from django.apps import AppConfig


class ScenarioConfig(AppConfig):
    """The demo world generator: the top floor, it writes through every app's models
    and services (`manage load_scenario`)."""

    name = "firstline.scenario"
    label = "scenario"
