"""Background tasks of the market app: the periodic `market_tick` (declared in
firstline/schedule.py)."""

from django.tasks import task

from firstline.market.services.campaigns import market_tick as close_due


@task
def market_tick() -> dict:
    """Every 5 minutes: close the open campaigns whose ordering window has passed and
    send their purchase orders to the suppliers."""
    return {"closed": close_due()}
