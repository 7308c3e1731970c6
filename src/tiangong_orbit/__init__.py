"""tiangong-orbit: passes, visibility and altitude of China's Tiangong station over Pakistan."""

__version__ = "0.1.0"
