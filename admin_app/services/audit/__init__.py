"""The audit trail: recording security events and reading them back."""
