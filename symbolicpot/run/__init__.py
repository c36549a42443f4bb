"""Run directories: TOML configs, checkpoints, exact resume, logs, progress and the front file."""
