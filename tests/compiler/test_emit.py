"""Emission: each construct becomes the Botpress v12 JSON of contract §1-§2."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flowbot.runtime.bot import load_bot
from flowbot.runtime.bot import validate_flow
from tests.compiler.util import compile_bot
from tests.compiler.util import elements
from tests.compiler.util import flow_json
from tests.compiler.util import node
from tests.compiler.util import read_json
from tests.compiler.util import said


def _args(instruction: str, action: str) -> dict[str, object]:
    assert instruction.startswith(action + " "), instruction
    parsed: dict[str, object] = json.loads(instruction[len(action) + 1 :])
    return parsed


def test_node_shape_waits_and_source(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        flow main
          node entry
            say "Hello"
            listen
            set user.name = "{{ event.payload.text }}"
            -> greet
          node greet
            say "Hi {{ user.name }}"
            listen
            -> end
        """,
    )
    flow = flow_json(out)
    entry, greet = node(flow, "entry"), node(flow, "greet")
    assert flow["version"] == "0.0.1" and flow["startNode"] == "entry" and flow["catchAll"] == {}
    assert re.fullmatch(r"[0-9a-f]{10}", entry["id"])
    assert list(entry) == ["id", "name", "type", "onEnter", "onReceive", "next", "source"]
    assert entry["type"] == "standard"
    assert entry["onEnter"][0].startswith("say #!builtin_text-")
    assert entry["onReceive"] == ['builtin/setVariable {"type":"user","name":"name","value":"{{ event.payload.text }}"}']
    assert entry["next"] == [{"condition": "true", "node": "greet"}]
    assert entry["source"] == {"file": "main.flow", "line": 4, "column": 3}
    assert greet["onReceive"] == []
    assert greet["next"] == [{"condition": "true", "node": "END"}]


def test_node_that_does_not_wait_has_null_on_receive(tmp_path: Path) -> None:
    _, out = compile_bot(tmp_path, 'flow main\n  node entry\n    say "x"\n    -> end\n')
    assert node(flow_json(out), "entry")["onReceive"] is None


def test_targets(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        flow main
          node entry
            listen
            when temp.a -> other
            when temp.b -> flow sub
            when temp.c -> flow sub.second
            else -> end
          node other
            -> entry
        flow sub
          node first
            listen
            when temp.a -> return
            when temp.b -> return to other
            when temp.c -> return again
            else -> return again to entry
          node second
            -> first
        """,
    )
    assert [t["node"] for t in node(flow_json(out), "entry")["next"]] == [
        "other", "sub.flow.json", "sub.flow.json#second", "END"
    ]
    assert [t["node"] for t in node(flow_json(out, "sub"), "first")["next"]] == ["#", "#other", "##", "##entry"]


def test_flow_options_start_description_and_catch_all(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        intent help
          - help
          - help me
          - what can I do
        flow main
          description "The main flow"
          start second
          when intent help -> helper
          node first
            -> second
          node second
            listen
            -> first
          node helper
            say "Here to help"
            -> second
        """,
    )
    flow = flow_json(out)
    assert flow["startNode"] == "second"
    assert flow["description"] == "The main flow"
    assert flow["catchAll"] == {"next": [{"condition": "event.nlu.intent.name === 'help'", "node": "helper"}]}


def test_set_and_unset_values(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        flow main
          node entry
            set session.count = 3
            set session.ratio = 0.5
            set temp.ok = true
            set temp.none = null
            set temp.next = {{ session.count + 1 }}
            set bot.greeting = "Hello {{ user.name }}"
            set user.profile.city = "Paris"
            set temp.data = {"a": [1, "x"], "b": {"c": false}}
            unset temp.old
            -> end
        """,
    )
    sets = [_args(i, "builtin/setVariable") for i in node(flow_json(out), "entry")["onEnter"]]
    assert sets == [
        {"type": "session", "name": "count", "value": 3},
        {"type": "session", "name": "ratio", "value": 0.5},
        {"type": "temp", "name": "ok", "value": True},
        {"type": "temp", "name": "none", "value": None},
        {"type": "temp", "name": "next", "value": "{{ session.count + 1 }}"},
        {"type": "bot", "name": "greeting", "value": "Hello {{ user.name }}"},
        {"type": "user", "name": "profile.city", "value": "Paris"},
        {"type": "temp", "name": "data", "value": {"a": [1, "x"], "b": {"c": False}}},
        {"type": "temp", "name": "old", "value": "null"},
    ]


def test_run_actions_and_contexts(tmp_path: Path) -> None:
    action = "async def run(args):\n    pass\n"
    _, out = compile_bot(
        tmp_path,
        """
        intent i
          - a
          - b
          - c
          context shop
        flow main
          node entry
            run lookup_order(order_id = "{{ temp.id }}", limit = 3, tags = ["a"])
            run orders/refund
            run builtin/resetSession
            context add shop, global for 5 turns
            context add shop
            context remove shop
            context reset
            -> end
        """,
        files={"actions/lookup_order.py": action, "actions/orders/refund.py": action},
    )
    assert node(flow_json(out), "entry")["onEnter"] == [
        'lookup_order {"order_id":"{{ temp.id }}","limit":3,"tags":["a"]}',
        "orders/refund {}",
        "builtin/resetSession {}",
        'builtin/appendContext {"contexts":"shop,global","ttl":"5"}',
        'builtin/appendContext {"contexts":"shop","ttl":"1"}',
        'builtin/removeContext {"contexts":"shop"}',
        "builtin/resetContext {}",
    ]
    assert (out / "actions" / "lookup_order.py").read_text() == action
    assert (out / "actions" / "orders" / "refund.py").read_text() == action


def test_call_api_node(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        flow main
          node entry
            say "Looking it up"
            call POST "https://api.example.com/orders/{{ temp.id }}"
              headers {"Authorization": "Bearer {{ bot.key }}", "X-Count": 2}
              body {"q": "{{ event.payload.text }}", "n": 1}
              timeout 2.5s
              -> session.order
              on_success -> ok
              on_failure -> end
          node ok
            -> end
          node plain
            call get "https://api.example.com/ping"
              on_success -> ok
              on_failure -> ok
        """,
    )
    flow = flow_json(out)
    entry = node(flow, "entry")
    assert entry["onEnter"][0].startswith("say #!")
    args = _args(entry["onEnter"][1], "basic-skills/call_api")
    rid = args["randomId"]
    assert isinstance(rid, str) and re.fullmatch(r"[a-z0-9]{10}", rid)
    assert list(args) == ["randomId", "url", "method", "body", "headers", "memory", "variable", "timeout"]
    assert args == {
        "randomId": rid,
        "url": "https://api.example.com/orders/{{ temp.id }}",
        "method": "post",
        "body": '{"q": "{{ event.payload.text }}", "n": 1}',
        "headers": {"Authorization": "Bearer {{ bot.key }}", "X-Count": "2"},
        "memory": "session",
        "variable": "order",
        "timeout": 2.5,
    }
    assert entry["next"] == [
        {"condition": f"temp.valid_{rid}", "node": "ok", "caption": "On success"},
        {"condition": f"!temp.valid_{rid}", "node": "END", "caption": "On failure"},
    ]
    plain = _args(node(flow, "plain")["onEnter"][0], "basic-skills/call_api")
    assert (plain["method"], plain["body"], plain["headers"], plain["memory"], plain["variable"]) == (
        "get", None, {}, "temp", "response"
    )
    assert "timeout" not in plain and plain["randomId"] != rid


def test_content_elements(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        flow main
          node entry
            say "Hello **you**", "Hi!", "Hey!" markdown typing
            say "Pick one" typing
              option small "Small"
              option "extra large" "XL"
            say image "https://x.io/a.png" title "A picture"
            say card "Card" typing
              subtitle "Sub"
              image "https://x.io/b.png"
              button "Docs" url "https://x.io/docs"
              button "Say hi" say "hi"
              button "Buy" postback "BUY"
            say carousel typing
              card "One"
              card "Two"
                subtitle "2"
            -> end
        """,
    )
    say = node(flow_json(out), "entry")["onEnter"]
    assert said(out, say[0]) == {
        "markdown$en": True,
        "text$en": "Hello **you**",
        "typing$en": True,
        "variations$en": ["Hi!", "Hey!"],
    }
    assert say[1].startswith("say #!builtin_single-choice-")
    assert said(out, say[1]) == {
        "choices$en": [{"title": "Small", "value": "small"}, {"title": "XL", "value": "extra large"}],
        "text$en": "Pick one",
        "typing$en": True,
    }
    assert said(out, say[2]) == {"image$en": "https://x.io/a.png", "title$en": "A picture"}
    assert said(out, say[3]) == {
        "actions$en": [
            {"title": "Docs", "action": "Open URL", "url": "https://x.io/docs"},
            {"title": "Say hi", "action": "Say something", "text": "hi"},
            {"title": "Buy", "action": "Postback", "payload": "BUY"},
        ],
        "image$en": "https://x.io/b.png",
        "subtitle$en": "Sub",
        "title$en": "Card",
        "typing$en": True,
    }
    assert said(out, say[4]) == {
        "items$en": [{"title": "One", "actions": []}, {"title": "Two", "subtitle": "2", "actions": []}],
        "typing$en": True,
    }
    ids = list(elements(out))
    assert all(re.fullmatch(r"builtin_[a-z-]+-[A-Za-z0-9_-]{6}", i) for i in ids) and len(set(ids)) == 5


def test_bot_config(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.flow").write_text(
        'bot shop "Shop Bot"\n  language fr, en\n  description "Sells"\n  version "2.0.0"\n'
        '  timeout 10m\n  session_timeout 90\n  api timeout 3s\n  api allow "localhost", "10.0.0.0/8"\n'
        '  api deny "169.254.169.254"\n  api max_response 5000\n\nflow main\n  node a\n    -> end\n'
    )
    from flowbot.compiler import build

    assert build(src, tmp_path / "out").ok
    assert read_json(tmp_path / "out" / "bot.config.json") == {
        "id": "shop",
        "name": "Shop Bot",
        "description": "Sells",
        "version": "2.0.0",
        "defaultLanguage": "fr",
        "languages": ["fr", "en"],
        "dialog": {"timeoutInterval": "10m", "sessionTimeoutInterval": "90s"},
        "templateEngine": "jinja2",
        "callApi": {"timeout": 3, "maxResponseBytes": 5000, "allowHosts": ["localhost", "10.0.0.0/8"],
                    "denyHosts": ["169.254.169.254"]},
    }
    utterance_language = load_bot(tmp_path / "out").config
    assert utterance_language.templateEngine == "jinja2" and utterance_language.callApi.timeout == 3


def test_nlu_files(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        intent book
          - book a table for [4](guests) in [Paris](city)
          - a table please
          - reserve for [two](guests)
          slot guests: number
          slot city: city, any
          context booking
        entity city list fuzzy 0.65 sensitive
          paris: Paris, city of light
          rome
        entity order pattern "[A-Z]{2}-\\\\d{4}" match_case
          example "AB-1234", "CD-0001"
        qna hours
          q: when are you open?
          q: opening hours
          a: 9 to 5
          a: From nine to five
          context booking
        qna book_now
          q: I want to book
          -> flow main.entry
        qna off
          q: old question
          a: old answer
          -> flow main
          disabled
        flow main
          node entry
            listen
            -> end
        """,
    )
    assert read_json(out / "intents" / "book.json") == {
        "name": "book",
        "utterances": {"en": ["book a table for [4](guests) in [Paris](city)", "a table please", "reserve for [two](guests)"]},
        "slots": [{"name": "guests", "entities": ["number"], "color": 1}, {"name": "city", "entities": ["city", "any"], "color": 2}],
        "contexts": ["booking"],
    }
    assert read_json(out / "entities" / "city.json") == {
        "name": "city", "type": "list", "id": "city",
        "occurrences": [{"name": "paris", "synonyms": ["Paris", "city of light"]}, {"name": "rome", "synonyms": []}],
        "fuzzy": 0.65, "examples": [], "sensitive": True,
    }
    assert read_json(out / "entities" / "order.json") == {
        "name": "order", "type": "pattern", "id": "order", "pattern": "[A-Z]{2}-\\d{4}",
        "examples": ["AB-1234", "CD-0001"], "matchCase": True, "sensitive": False,
    }
    assert read_json(out / "qna" / "hours.json") == {
        "id": "hours",
        "data": {
            "action": "text", "contexts": ["booking"], "enabled": True,
            "answers": {"en": ["9 to 5", "From nine to five"]},
            "questions": {"en": ["when are you open?", "opening hours"]},
            "redirectFlow": "", "redirectNode": "",
        },
    }
    assert read_json(out / "intents" / "__qna__hours.json") == {
        "name": "__qna__hours", "utterances": {"en": ["when are you open?", "opening hours"]}, "slots": [],
        "contexts": ["booking"],
    }
    book_now = read_json(out / "qna" / "book_now.json")["data"]
    assert (book_now["action"], book_now["redirectFlow"], book_now["redirectNode"]) == ("redirect", "main.flow.json", "entry")
    off = read_json(out / "qna" / "off.json")["data"]
    assert (off["action"], off["enabled"], off["redirectNode"]) == ("text_redirect", False, "entry")
    bot = load_bot(out)
    assert {i.name for i in bot.intents} == {"book", "__qna__hours", "__qna__book_now", "__qna__off"}


def test_layout_links_and_positions(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        flow main
          node entry
            listen
            when temp.a -> left
            else -> right
          node left
            -> end
          node right
            -> left
          node orphan
            -> end
        """,
    )
    flow, ui = flow_json(out), read_json(out / "flows" / "main.ui.json")
    ids = {n["name"]: n["id"] for n in flow["nodes"]}
    positions = {n["id"]: n["position"] for n in ui["nodes"]}
    assert [n["id"] for n in ui["nodes"]] == [ids[name] for name in ("entry", "left", "right", "orphan")]
    assert positions[ids["entry"]] == {"x": 100, "y": 100}
    assert positions[ids["left"]]["x"] == positions[ids["right"]]["x"] > 100
    assert positions[ids["orphan"]]["x"] > positions[ids["left"]]["x"]
    assert ui["links"] == [
        {"source": ids["entry"], "sourcePort": "out0", "target": ids["left"], "points": []},
        {"source": ids["entry"], "sourcePort": "out1", "target": ids["right"], "points": []},
        {"source": ids["right"], "sourcePort": "out0", "target": ids["left"], "points": []},
    ]


def test_every_emitted_flow_passes_the_v12_validation(tmp_path: Path) -> None:
    _, out = compile_bot(
        tmp_path,
        """
        intent i
          - a
          - b
          - c
          slot s: any
        flow main
          node entry
            ask "Pick"
              option a "A" -> filling
              on_failure -> end
          node filling
            fill s
              ask "Value?"
              on_filled -> end
              on_not_found -> end
        """,
    )
    bot = load_bot(out)
    assert len(bot.flows) == 3
    assert all(validate_flow(flow) == [] for flow in bot.flows.values())


def test_ids_are_stable_when_the_bot_grows(tmp_path: Path) -> None:
    base = """
        flow main
          node entry
            say "Hello"
            -> second
          node second
            say "Again"
            -> end
        """
    _, first = compile_bot(tmp_path / "a", base)
    _, second = compile_bot(tmp_path / "b", base.replace("-> end", "-> third") + "  node third\n            -> end\n")
    before = {n["name"]: (n["id"], n["onEnter"]) for n in flow_json(first)["nodes"]}
    after = {n["name"]: (n["id"], n["onEnter"]) for n in flow_json(second)["nodes"]}
    assert after["entry"] == before["entry"] and after["second"] == before["second"]
