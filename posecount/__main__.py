"""`python -m posecount` runs the command line."""

from posecount.cli import main

if __name__ == "__main__":
    main()
