"""tiangong-orbit: passes, visibility and altitude of China's Tiangong space station over Pakistan."""

__version__ = "0.1.0"
