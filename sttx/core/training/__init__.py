"""Training: config, loop, compiled step, schedules, precision, stopping, checkpoints, warm start and transfer.

Also the acoustic weights (checkpoints' array view, shared with export) and `sttx evaluate` of a checkpoint dir.
May import ``contract``, ``data`` and ``evaluation``; nothing above it (inference, cli, plugins).
"""
