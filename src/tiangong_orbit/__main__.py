"""Allow ``python -m tiangong_orbit``."""

from tiangong_orbit.cli import main

if __name__ == "__main__":
    main()
