"""The room runtime: the one owner of each room's state, fed by one queue."""
