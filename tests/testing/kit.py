"""A small source bot that exercises what conversation tests check, compiled and loaded once."""

from __future__ import annotations

from pathlib import Path

KIT_FLOW = """\
bot kit "Kit"

flow main
  node entry
    say "Hello!"
    listen
    set temp.said = "{{ event.payload.text }}"
    when temp.said == "menu" -> menu
    when temp.said == "api" -> api
    when temp.said == "boom" -> boom
    when temp.said == "post" -> post
    when temp.said == "bye" -> end
    else -> echo

  node echo
    say "You said: {{ temp.said }}"
    set session.count = {{ (session.count or 0) + 1 }}
    set user.last = "{{ temp.said }}"
    -> entry

  node menu
    ask "Pick a colour"
      option red "Red", "rouge" -> chosen
      option blue "Blue" -> chosen
      -> session.color
      retries 1
      on_failure -> entry

  node chosen
    say "You chose {{ session.color }}."
    -> end

  node api
    call GET "https://api.example.com/items/{{ session.count or 0 }}"
      -> temp.result
      on_success -> fetched
      on_failure -> failed

  node post
    call POST "https://api.example.com/items"
      body {"name": "item {{ session.count or 0 }}", "tags": ["new"]}
      -> temp.result
      on_success -> fetched
      on_failure -> failed

  node fetched
    say "Got {{ temp.result.body.name }}."
    -> end

  node failed
    say "Failed with {{ temp.result.status }}."
    -> end

  node boom
    run explode
    say "not reached"
    -> end
"""

EXPLODE = """\
async def run(temp):
    raise RuntimeError("kaboom")
"""


def write_kit(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.flow").write_text(KIT_FLOW, encoding="utf-8")
    (root / "actions").mkdir(exist_ok=True)
    (root / "actions" / "explode.py").write_text(EXPLODE, encoding="utf-8")
    return root
