# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.
