"""Keras-style saving methods for Model classes (owned by the saving code, mixed into Model).

    class Model(SavingMixin, Layer): ...

gives ``model.save(path)``, ``model.save_weights(path)`` and ``model.load_weights(path)``;
``keras.models.load_model(path)`` is ``fastconv.saving.load_model``. File formats: README,
"Saving and data pipeline".
"""

from __future__ import annotations


class SavingMixin:
    def save_weights(self, filepath, overwrite=True):
        """Write every variable to ``filepath`` (a pickle-free .npz, written atomically)."""
        from fastconv.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Load weights saved by save_weights/save into this (identically built) model; a
        missing, corrupt or mismatched file raises and leaves the model untouched."""
        from fastconv.saving import load_weights
        load_weights(self, filepath)

    def save(self, filepath, overwrite=True, **kwargs):
        """Architecture (JSON) + weights in one file; Sequential and functional models only."""
        from fastconv.saving import save_model
        save_model(self, filepath, overwrite=overwrite)
