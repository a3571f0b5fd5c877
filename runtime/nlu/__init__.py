"""flowbot's built-in NLU: intents, out-of-scope, contexts, entities, slots and languages.

``train_nlu(bot)`` trains a model from a bot folder's intents, QnA questions and entities;
``NluModel.save(dir)`` / ``NluModel.load(dir)`` store it as JSON and float32 arrays (never pickle);
``load_or_train(bot, cache_dir)`` reuses a saved model while the NLU data is unchanged
(``copy_if_current(bot, previous, target)`` copies one, as ``bot build`` does); and
``model.predict(text, included_contexts)`` returns ``event.nlu``. See docs/nlu.md.
"""

from __future__ import annotations

from flowbot.runtime.nlu.data import NluConfigError
from flowbot.runtime.nlu.entities import EntityDefinitionError
from flowbot.runtime.nlu.model import NluModel
from flowbot.runtime.nlu.model import default_nlu
from flowbot.runtime.nlu.storage import NluModelError
from flowbot.runtime.nlu.train import copy_if_current
from flowbot.runtime.nlu.train import load_or_train
from flowbot.runtime.nlu.train import train_classifier
from flowbot.runtime.nlu.train import train_nlu

__all__ = [
    "EntityDefinitionError",
    "NluConfigError",
    "NluModel",
    "NluModelError",
    "copy_if_current",
    "default_nlu",
    "load_or_train",
    "train_classifier",
    "train_nlu",
]
