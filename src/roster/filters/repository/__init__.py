"""The queries of the filter package: contact pages and counts, and how they are planned."""
