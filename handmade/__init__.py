"""Hand-written NumPy models of the course notes. NumPy only: never imports torch."""
