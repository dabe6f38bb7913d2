"""Saving and loading: weights files, whole models (architecture + weights), shared by
fastconv.train's checkpoints. One documented format: a pickle-free ``.npz`` with a JSON manifest
(see ``_archive.py`` and README "Saving and data pipeline")."""

from fastconv.saving._archive import FORMAT_VERSION, CorruptFileError
from fastconv.saving.model import load_model, save_model
from fastconv.saving.weights import load_weights, save_weights

__all__ = ["save_weights", "load_weights", "save_model", "load_model", "CorruptFileError",
           "FORMAT_VERSION"]
