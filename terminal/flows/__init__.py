"""The floor's flows as pure state machines: an event in, the next state and commands out."""
