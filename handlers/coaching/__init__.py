"""The PO's coaching trajectory: contract, sessions, reflections, the coach's digest."""
