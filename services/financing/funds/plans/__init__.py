"""An accepted allocation plan turned into allocations of a program in one call."""
