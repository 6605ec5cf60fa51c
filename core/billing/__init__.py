"""Billing the MSP: managed-user metering, the price plan, and invoices."""
