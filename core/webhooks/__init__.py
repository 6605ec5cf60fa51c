"""Webhooks: endpoints, signed deliveries through a queue, and the events the product emits."""
