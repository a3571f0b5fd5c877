"""The NLU model as the runtime sees it: event.nlu's shape, saving, loading, caching, failures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from flowbot.runtime.nlu import NluModel
from flowbot.runtime.nlu import NluModelError
from flowbot.runtime.nlu import default_nlu
from flowbot.runtime.nlu import load_or_train
from flowbot.runtime.nlu import train_nlu
from flowbot.runtime.nlu import train as train_module
from tests.runtime.nlu.botfactory import NOW
from tests.runtime.nlu.botfactory import PIZZA_INTENTS
from tests.runtime.nlu.botfactory import SIZE_ENTITY
from tests.runtime.nlu.botfactory import intent
from tests.runtime.nlu.botfactory import make_bot

NLU_KEYS = {
    "entities",
    "language",
    "ambiguous",
    "slots",
    "intent",
    "intents",
    "errored",
    "includedContexts",
    "ms",
}


@pytest.fixture(scope="module")
def pizza(tmp_path_factory: pytest.TempPathFactory) -> NluModel:
    bot = make_bot(tmp_path_factory.mktemp("pizza") / "pizza", PIZZA_INTENTS, [SIZE_ENTITY])
    model = train_nlu(bot)
    model.use_clock(lambda: NOW)
    return model


def test_prediction_has_the_event_nlu_shape(pizza: NluModel) -> None:
    nlu = pizza.predict("I'd like to order a big pizza", ["global"])
    assert set(nlu) == NLU_KEYS
    assert nlu["intent"]["name"] == "order_pizza"
    assert set(nlu["intent"]) == {"name", "confidence", "context"}
    assert nlu["intent"]["context"] == "global"
    assert 0.5 < nlu["intent"]["confidence"] <= 1
    assert [i["name"] for i in nlu["intents"]][0] == "order_pizza"
    assert len(nlu["intents"]) == 2
    assert sum(i["confidence"] for i in nlu["intents"]) == pytest.approx(1, abs=1e-3)
    assert nlu["language"] == "en" and nlu["errored"] is False and nlu["ambiguous"] is False
    assert nlu["includedContexts"] == ["global"]
    assert nlu["ms"] > 0
    size = next(e for e in nlu["entities"] if e["name"] == "size")
    assert size["type"] == "custom.list.size"
    assert size["data"]["value"] == "large"
    assert nlu["slots"]["size"]["value"] == "large"
    json.dumps(nlu)  # plain JSON data


def test_out_of_scope_text_gives_none(pizza: NluModel) -> None:
    for text in ["what is the capital of mongolia", "qwxz vbnm plok"]:
        nlu = pizza.predict(text, ["global"])
        assert nlu["intent"]["name"] == "none", text
        assert nlu["intents"][0]["name"] == "none"


def test_confidences_are_computed_not_constant(pizza: NluModel) -> None:
    a = pizza.predict("track my delivery please", ["global"])["intent"]
    b = pizza.predict("is the pizza on its way or what", ["global"])["intent"]
    assert a["name"] == b["name"] == "track_order"
    assert a["confidence"] != b["confidence"]


def test_bot_without_nlu_data_gives_the_botpress_default(tmp_path: Path) -> None:
    model = train_nlu(make_bot(tmp_path / "empty"))
    assert model.predict("hello", ["global"]) == default_nlu(["global"])
    assert default_nlu()["language"] == "n/a" and default_nlu()["intent"] == {
        "name": "none",
        "confidence": 1,
        "context": "global",
    }


def test_a_failing_prediction_is_errored_and_the_turn_goes_on(
    pizza: NluModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(pizza.entities, "extract", boom)
    nlu = pizza.predict("a big pizza", ["global"])
    assert nlu["errored"] is True
    assert nlu["intent"]["name"] == "none" and nlu["entities"] == [] and nlu["language"] == "en"
    assert "NLU prediction failed" in caplog.text


def test_training_is_deterministic_and_saved_files_are_byte_identical(tmp_path: Path) -> None:
    bot = make_bot(tmp_path / "bot", PIZZA_INTENTS, [SIZE_ENTITY])
    train_nlu(bot).save(tmp_path / "a")
    train_nlu(bot).save(tmp_path / "b")
    for name in ("model.json", "arrays.npz"):
        assert (
            hashlib.sha256((tmp_path / "a" / name).read_bytes()).digest()
            == hashlib.sha256((tmp_path / "b" / name).read_bytes()).digest()
        )


def test_saved_model_predicts_exactly_as_the_trained_one(pizza: NluModel, tmp_path: Path) -> None:
    pizza.save(tmp_path / "nlu")
    loaded = NluModel.load(tmp_path / "nlu", clock=lambda: NOW)
    for text in ["one small pizza", "where is my food", "hey there", "nothing to do with it"]:
        a, b = pizza.predict(text, ["global"]), loaded.predict(text, ["global"])
        a.pop("ms"), b.pop("ms")
        assert a == b


def test_saved_arrays_are_float32_and_load_without_pickle(pizza: NluModel, tmp_path: Path) -> None:
    pizza.save(tmp_path / "nlu")
    with np.load(tmp_path / "nlu" / "arrays.npz", allow_pickle=False) as arrays:
        assert {arrays[name].dtype for name in arrays.files} == {np.dtype("float32")}
    meta = json.loads((tmp_path / "nlu" / "model.json").read_text())
    assert meta["format"] == "flowbot-nlu" and meta["version"] == 1 and len(meta["data_hash"]) == 64


def test_a_pickled_array_is_refused(pizza: NluModel, tmp_path: Path) -> None:
    pizza.save(tmp_path / "nlu")
    # Replace the arrays with an archive holding an object array: loading must not unpickle it.
    np.savez(tmp_path / "nlu" / "arrays.npz", evil=np.array([{"code": "payload"}], dtype=object))
    with pytest.raises(NluModelError, match="cannot read the NLU arrays"):
        NluModel.load(tmp_path / "nlu")


def test_corrupt_or_foreign_models_are_refused_clearly(pizza: NluModel, tmp_path: Path) -> None:
    with pytest.raises(NluModelError, match="no NLU model here"):
        NluModel.load(tmp_path / "missing")
    pizza.save(tmp_path / "nlu")
    meta_path = tmp_path / "nlu" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(NluModelError, match="format version 1"):
        NluModel.load(tmp_path / "nlu")
    meta["per_language"]["en"]["classifiers"][0]["labels"].append("extra")
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(NluModelError, match="inconsistent"):
        NluModel.load(tmp_path / "nlu")
    meta_path.write_text("{oops")
    with pytest.raises(NluModelError, match="cannot read"):
        NluModel.load(tmp_path / "nlu")


def test_load_or_train_trains_once_then_reuses_until_the_data_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = train_module.train_from_data
    monkeypatch.setattr(
        train_module, "train_from_data", lambda data, seed=0: calls.append(1) or real(data, seed)
    )
    intents = [intent("yes", ["yes", "sure", "ok"]), intent("no", ["no", "nope", "never"])]
    bot = make_bot(tmp_path / "bot", intents)
    first = load_or_train(bot, tmp_path / "cache")
    second = load_or_train(bot, tmp_path / "cache")
    assert len(calls) == 1 and first.data_hash == second.data_hash
    bot = make_bot(tmp_path / "bot", [*intents, intent("maybe", ["maybe", "perhaps", "not sure"])])
    third = load_or_train(bot, tmp_path / "cache")
    assert len(calls) == 2 and third.data_hash != first.data_hash
    assert third.predict("perhaps", ["global"])["intent"]["name"] == "maybe"


def test_load_or_train_uses_the_model_shipped_in_the_bot_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = make_bot(tmp_path / "bot", [intent("yes", ["yes", "sure"]), intent("no", ["no", "nope"])])
    train_nlu(bot).save(tmp_path / "bot" / "nlu")
    monkeypatch.setattr(train_module, "train_from_data", lambda *a, **k: pytest.fail("should not train"))
    assert load_or_train(bot, tmp_path / "cache").predict("sure", ["global"])["intent"]["name"] == "yes"
    assert not (tmp_path / "cache").exists()


def test_oos_threshold_from_the_bot_config_overrides_the_learned_one(tmp_path: Path) -> None:
    text = "hmm pizza maybe"
    learned = train_nlu(make_bot(tmp_path / "learned", PIZZA_INTENTS))
    clf = learned.languages["en"].classifiers["global"]
    confidence = float(clf.confidences(clf.scores(text)).max())
    assert learned.predict(text, ["global"])["intent"]["name"] == "order_pizza"
    above = train_nlu(
        make_bot(
            tmp_path / "above",
            PIZZA_INTENTS,
            config={"nlu": {"oosThreshold": min(0.9999, confidence + 0.01)}},
        )
    )
    below = train_nlu(
        make_bot(tmp_path / "below", PIZZA_INTENTS, config={"nlu": {"oosThreshold": confidence - 0.01}})
    )
    assert above.predict(text, ["global"])["intent"]["name"] == "none"
    assert below.predict(text, ["global"])["intent"]["name"] == "order_pizza"
