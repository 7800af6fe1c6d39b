"""A Rasa policy with nothing to learn: it reads the tracker and either names the next action or abstains.

The crisis path and the failed-turn reply are decisions about the present turn, not
patterns in stories; both only need Rasa's policy plumbing (registration, a
resource to persist, loading), which lives here once.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


class StatelessPolicy(Policy):
    """Subclasses implement `next_action`; their prediction is a "no user" one, so an active form cannot outrank it."""

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def next_action(self, tracker: DialogueStateTracker, domain: Domain) -> str | None:
        raise NotImplementedError

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self.persist()
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.next_action(tracker, domain)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "policy.txt").write_text("stateless\n", encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StatelessPolicy:
        return cls(config, model_storage, resource, execution_context)
