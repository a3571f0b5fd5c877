"""The dialog engine: Botpress v12's instruction-queue model, ported exactly (§2).

One call to :meth:`DialogEngine.process` is one ``DecisionEngine -> DialogEngine.processEvent``
run: the current node's queue is consumed one instruction at a time until the node waits, a
transition moves to another node or flow, or the queue is exhausted (end of the flow). Botpress
recurses once per instruction; we loop, with the same state changes in the same order.

Loop protection: a flow/node visited 3 times in one turn raises :class:`InfiniteLoopError` (as
in Botpress), and so does a turn that runs more than ``max_instructions`` instructions; either
ends the turn cleanly: context and temp are cleaned, the error flow runs once, the error is
logged and recorded in ``turn.errors``. Nothing a bot does can take the server down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable

from flowbot.errors import FlowbotError
from flowbot.runtime.flow import FlowNode
from flowbot.runtime.flows import FlowEntry
from flowbot.runtime.flows import FlowIndex
from flowbot.runtime.instructions import InstructionProcessor
from flowbot.runtime.instructions import error_flow_of
from flowbot.runtime.state import DialogContext
from flowbot.runtime.state import Instruction
from flowbot.runtime.state import JumpPoint
from flowbot.runtime.turn import Turn

logger = logging.getLogger("flowbot.runtime")

MAIN_FLOW = "main.flow.json"
TIMEOUT_FLOW = "timeout.flow.json"
CONVERSATION_END_FLOW = "conversation_end.flow.json"
LOOP_VISITS = 3

HookRunner = Callable[[str, Turn], Awaitable[None]]


class InfiniteLoopError(FlowbotError):
    """A turn that went round in circles: the same node 3 times, or too many instructions."""

    def __init__(self, message: str, flow: str | None = None, node: str | None = None) -> None:
        self.flow = flow
        self.node = node
        super().__init__(message)


class TimeoutNodeNotFound(FlowbotError):
    """A session timeout with nowhere to go: the context is simply cleared."""


def detect_infinite_loop(turn: Turn) -> None:
    """Botpress's ``_detectInfiniteLoop``: the first flow/node of the trace visited 3 times."""
    if turn.most_visits < LOOP_VISITS:
        return
    looping = next(entry for entry, count in turn.visits.items() if count >= LOOP_VISITS)
    path: list[str] = []
    seen = 0
    for entry in turn.stacktrace:
        if seen >= 2:
            break
        if entry == looping:
            seen += 1
        if seen:
            path.append(f"{entry.flow} ({entry.node})")
    raise InfiniteLoopError(f"Infinite loop detected. ({' --> '.join(path)})", looping.flow, looping.node)


class DialogEngine:
    """Runs the flows of one bot. Stateless between turns: everything lives in the :class:`Turn`."""

    def __init__(
        self,
        flows: FlowIndex,
        processor: InstructionProcessor,
        *,
        run_hook: HookRunner | None = None,
        max_instructions: int = 1000,
    ) -> None:
        self.flows = flows
        self.processor = processor
        self.run_hook = run_hook
        self.max_instructions = max_instructions

    # -- entry points -------------------------------------------------------------------------

    async def process(self, turn: Turn) -> None:
        """Process the turn's event; errors go to the error flow, never out of here."""
        turn.instruction_count = 0
        try:
            await self._run(turn)
        except Exception as exc:  # the decision engine's catch-all: log, then the error flow once
            await self._recover(turn, exc)

    def jump_to(self, turn: Turn, flow_name: str, node_name: str | None = None) -> None:
        """Botpress's ``jumpTo``: make ``flow#node`` current; its catchAll transitions run first."""
        flow = self.flows.find_flow(flow_name)
        node = self.flows.find_node(flow, node_name or flow.start_node)
        turn.visit(flow.name, node.name)
        turn.context.currentFlow = flow.name
        turn.context.currentNode = node.name
        turn.context.queue = None
        turn.context.hasJumped = True

    async def process_timeout(self, turn: Turn) -> None:
        """Session timeout (§2.9): go to the timeout node or flow and process from there."""
        if self.run_hook is not None:
            await self.run_hook("before_session_timeout", turn)
        current = self.flows.find_flow(turn.context.currentFlow)
        current_node = self.flows.get_node(current, turn.context.currentNode)
        target_flow, target_node = self._find_timeout_target(turn, current, current_node)
        if target_flow is None or target_node is None:
            raise TimeoutNodeNotFound(f"no timeout node or flow for the conversation in {current.name}")
        self._fill_context_for_transition(turn, current, current_node, target_flow, target_node)
        await self.process(turn)

    # -- the processEvent loop --------------------------------------------------------------------

    async def _run(self, turn: Turn) -> None:
        redirected = False
        while True:
            try:
                if not await self._process_event(turn):
                    return
            except InfiniteLoopError:
                raise
            except Exception as exc:
                if redirected:
                    raise
                # Botpress catches what follows a transition and goes to the error flow instead
                redirected = True
                turn.record_error("dialog-transition", str(exc))
                logger.warning("bot %s: %s; going to the error flow", turn.bot_id, exc)
                if not await self._transition(turn, error_flow_of(turn)):
                    return

    async def _run_nested(self, turn: Turn) -> None:
        while await self._process_event(turn):
            pass

    async def _process_event(self, turn: Turn) -> bool:
        """One Botpress ``processEvent`` step; True when processing continues in this turn."""
        self._count(turn)  # every step counts, so that nothing (not even skill calls) runs forever
        if turn.context.is_empty:
            self._initialize_context(turn)
        context = turn.context
        flow = self.flows.find_flow(context.currentFlow)
        node = self.flows.find_node(flow, context.currentNode)
        if node.type == "skill-call" and not self._exiting_subflow(context):
            self._go_to_subflow(turn, flow, node)
            return True
        queue, resumed = self._queue_for(context, flow, node)
        if not queue:
            await self._end_flow(turn)
            return False
        instruction = queue.pop(0)
        try:
            outcome = await self.processor.process(instruction, turn)
        except Exception as exc:
            if resumed:  # as in Botpress, the stored queue still starts with the failed instruction
                queue.insert(0, instruction)
            self._report_processing_error(turn, exc, instruction)
            return False
        if outcome.kind == "none" or outcome.kind == "wait":
            if context.queue is not queue:
                context.queue = queue
            return outcome.kind == "none"
        if not outcome.target:  # an unconnected port ends the flow, as END does
            await self._end_flow(turn)
            return False
        context.queue = None
        return await self._transition(turn, outcome.target)

    @staticmethod
    def _queue_for(context: DialogContext, flow: FlowEntry, node: FlowNode) -> tuple[list[Instruction], bool]:
        """The queue to run, and whether it was resumed from the context (consumed in place)."""
        if context.hasJumped:
            context.hasJumped = False
            return flow.build_queue(node, has_jumped=True), False
        if context.queue is not None:
            return context.queue, True
        return flow.build_queue(node), False

    def _count(self, turn: Turn) -> None:
        turn.instruction_count += 1
        if turn.instruction_count > self.max_instructions:
            context = turn.context
            raise InfiniteLoopError(
                f"Infinite loop detected: more than {self.max_instructions} instructions in one turn "
                f"(last at {context.currentFlow} ({context.currentNode}))",
                context.currentFlow,
                context.currentNode,
            )

    def _initialize_context(self, turn: Turn) -> None:
        flow = self.flows.find_flow(MAIN_FLOW)
        node = self.flows.find_node(flow, flow.start_node)
        turn.visit(flow.name, node.name)
        turn.context = DialogContext(currentFlow=flow.name, currentNode=node.name)

    @staticmethod
    def _exiting_subflow(context: DialogContext) -> bool:
        last = next((j for j in context.jumpPoints or [] if j.used), None)
        if last is None or last.executeNode:
            return False
        return last.flow == context.currentFlow and last.node == context.currentNode

    def _go_to_subflow(self, turn: Turn, parent: FlowEntry, parent_node: FlowNode) -> None:
        subflow = self.flows.find_flow(parent_node.flow)
        start = self.flows.find_node(subflow, subflow.start_node)
        turn.context = DialogContext(
            currentFlow=subflow.name,
            currentNode=start.name,
            previousFlow=parent.name,
            previousNode=parent_node.name,
            jumpPoints=[*(turn.context.jumpPoints or []), JumpPoint(flow=parent.name, node=parent_node.name)],
        )

    def _report_processing_error(self, turn: Turn, exc: Exception, instruction: Instruction) -> None:
        what = instruction.fn or instruction.type
        logger.warning(
            "bot %s, flow %s, node %s: error processing %r: %s",
            turn.bot_id,
            turn.context.currentFlow,
            turn.context.currentNode,
            what,
            exc,
        )
        turn.record_error("dialog-engine", f"error processing {what!r}: {exc}")

    # -- transitions -----------------------------------------------------------------------------

    async def _transition(self, turn: Turn, target: str) -> bool:
        """Botpress's ``_transition``: True when processing continues in this turn."""
        if not turn.errors:
            detect_infinite_loop(turn)
        context = turn.context
        if context.jumpPoints and any(j.used for j in context.jumpPoints):
            context.jumpPoints = [j for j in context.jumpPoints if not j.used]
        if ".flow.json" in target:
            self._enter_flow(turn, target)
        elif target.startswith("#"):
            return self._return_to_parent(turn, target)
        elif target == "END":
            await self._end_flow(turn)
            return False
        else:
            turn.visit(context.currentFlow or "", target)
            if not (context.currentFlow or "").startswith("skills/"):
                context.previousNode = context.currentNode
            context.currentNode = target
        return True

    def _enter_flow(self, turn: Turn, target: str) -> None:
        flow_name, hash_, node_name = target.partition("#")
        flow = self.flows.find_flow(flow_name)
        node = self.flows.find_node(flow, node_name if hash_ else flow.start_node)
        turn.visit(flow.name, node.name)
        old = turn.context
        turn.context = DialogContext(
            currentFlow=flow.name,
            currentNode=node.name,
            previousFlow=old.currentFlow,
            previousNode=old.currentNode,
            jumpPoints=[*(old.jumpPoints or []), JumpPoint(flow=old.currentFlow, node=old.currentNode)],
        )

    def _return_to_parent(self, turn: Turn, target: str) -> bool:
        context = turn.context
        jump_points = context.jumpPoints
        previous = next((j for j in reversed(jump_points or []) if not j.used), None)
        if not jump_points or previous is None:
            return False  # no parent flow: nothing happens, as in Botpress
        execute = target.startswith("##")
        specific = target.split("##" if execute else "#")[1]
        if execute:
            previous.executeNode = True
        previous.used = True
        parent = self.flows.find_flow(previous.flow)
        node = self.flows.find_node(parent, specific or previous.node)
        queue = parent.build_queue(node, only_transitions=not previous.executeNode)
        turn.visit(parent.name, node.name)
        context.currentNode = node.name
        context.currentFlow = parent.name
        context.queue = queue
        return True

    # -- end of flow, conversation end and timeouts -----------------------------------------------

    async def _end_flow(self, turn: Turn) -> None:
        if turn.context.is_empty:
            return
        name = self.flows.find_flow(turn.context.currentFlow).name
        if name == TIMEOUT_FLOW:
            turn.clean_state()
            return
        if name == CONVERSATION_END_FLOW:
            return
        if await self._conversation_end_hook(turn) or await self._conversation_end_flow(turn):
            return
        turn.clean_state()

    async def _conversation_end_hook(self, turn: Turn) -> bool:
        if self.run_hook is None:
            return False
        await self.run_hook("before_conversation_end", turn)
        if turn.context.hasJumped:
            await self._run_nested(turn)
            return True
        return False

    async def _conversation_end_flow(self, turn: Turn) -> bool:
        end_flow = self.flows.get_flow(CONVERSATION_END_FLOW)
        if end_flow is None:
            return False
        current = self.flows.find_flow(turn.context.currentFlow)
        current_node = self.flows.get_node(current, turn.context.currentNode)
        end_node = self.flows.find_node(end_flow, end_flow.start_node)
        self._fill_context_for_transition(turn, current, current_node, end_flow, end_node)
        before = len(turn.context.jumpPoints or [])
        await self._run_nested(turn)
        return before != len(turn.context.jumpPoints or [])

    @staticmethod
    def _fill_context_for_transition(
        turn: Turn,
        current: FlowEntry,
        current_node: FlowNode | None,
        target: FlowEntry,
        target_node: FlowNode,
    ) -> None:
        old = turn.context
        turn.context = old.model_copy(
            update={
                "currentNode": target_node.name,
                "currentFlow": target.name,
                "queue": None,
                "previousFlow": current.name,
                "previousNode": current_node.name if current_node else "",
                "hasJumped": True,
                "jumpPoints": [
                    *(old.jumpPoints or []),
                    JumpPoint(flow=current.name, node=current_node.name if current_node else None),
                ],
            }
        )

    def _find_timeout_target(
        self, turn: Turn, current: FlowEntry, node: FlowNode | None
    ) -> tuple[FlowEntry | None, FlowNode | None]:
        """The first of: the node's ``timeout`` (a node name), a ``timeout`` node of the flow (of the
        parent flow when in a skill), the flow's ``timeoutNode``, ``timeout.flow.json``'s start node."""
        named = node.timeout if node is not None and isinstance(node.timeout, str) else None
        candidates: list[tuple[FlowEntry | None, str | None]] = [(current, named), (current, "timeout")]
        if current.is_skill:
            candidates.append((self.flows.get_flow(turn.context.previousFlow), "timeout"))
        timeout_node = current.extra("timeoutNode")
        candidates.append((current, timeout_node if isinstance(timeout_node, str) else None))
        timeout_flow = self.flows.get_flow(TIMEOUT_FLOW)
        candidates.append((timeout_flow, timeout_flow.start_node if timeout_flow else None))
        for flow, name in candidates:
            found = self.flows.get_node(flow, name)
            if found is not None:
                return flow, found
        return None, None

    # -- errors ------------------------------------------------------------------------------------

    async def _recover(self, turn: Turn, exc: Exception) -> None:
        context = turn.context
        kind = "infinite-loop" if isinstance(exc, InfiniteLoopError) else "dialog-engine"
        logger.error(
            "bot %s, flow %s, node %s, user %s: %s",
            turn.bot_id,
            context.currentFlow,
            context.currentNode,
            turn.event.get("target"),
            exc,
            exc_info=not isinstance(exc, FlowbotError),
        )
        turn.record_error(kind, str(exc))
        if isinstance(exc, InfiniteLoopError):
            turn.clean_state()
        turn.instruction_count = 0
        try:
            self.jump_to(turn, "error.flow.json")
            await self._run_nested(turn)
        except Exception as again:  # an error in the error handler: give up on this turn
            logger.error(
                "bot %s: an error occurred in the error handler, abandoning the turn: %s", turn.bot_id, again
            )
            turn.record_error("dialog-engine", f"error flow failed: {again}")
            turn.clean_state()
