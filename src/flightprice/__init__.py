"""flightprice."""
