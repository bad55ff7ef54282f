"""Second factors: authenticator apps, recovery codes and trusted browsers."""
