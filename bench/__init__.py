"""`make bench`: speed and accuracy figures, printed; targets are in the issues, not in tests."""
