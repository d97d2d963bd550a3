"""The produce programme (issue #23): certified suppliers in poor counties,
group-purchase campaigns, orders, purchase orders, deliveries, distribution, money
recorded, impact."""
