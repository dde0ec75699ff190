"""dockwright: build, verify, tag, scan, publish and run a multi-service app's images."""

__version__ = "0.1.0"
