"""One router per resource: health, price, model (+ admin reload), metrics."""
