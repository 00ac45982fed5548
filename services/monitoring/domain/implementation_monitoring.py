"""Implementation, monitoring: monitoring visits and reports, indicator measurements and
escalation of an uncooperative supplier (Step 4: UNGP 31(c) means of monitoring; OECD downstream
step 3; Accountability Framework 9.3)."""

from __future__ import annotations

from uuid import UUID

from shared.domain import CommandContext, require

from .commands import EscalateSupplier, MeasureIndicator, RecordMonitoringVisit
from .events import IndicatorMeasured, IndicatorValue, MonitoringVisitRecorded, SupplierEscalated
from .implementation_base import ImplementationBase
from .state import Measurement, Visit


class MonitoringSteps(ImplementationBase):
    def record_monitoring_visit(
        self, cmd: RecordMonitoringVisit, ctx: CommandContext, *, report_id: UUID
    ) -> None:
        """A ``final`` report is what proposing closure needs."""
        self._require_open("Recording a monitoring visit")
        require(
            all(v.report_id != report_id for v in self.state.visits),
            "report-already-recorded",
            "This monitoring report is already recorded.",
        )
        self._not_in_future(cmd.visited_on, ctx, "visited_on", "visited-in-future")
        self.record(
            MonitoringVisitRecorded(
                **self._header(ctx),
                report_id=report_id,
                method=cmd.method,
                visited_on=cmd.visited_on,
                final=cmd.final,
                findings=cmd.findings,
                indicator_values=[
                    IndicatorValue.model_validate(v.model_dump()) for v in cmd.indicator_values
                ],
                recommendations=cmd.recommendations,
            )
        )

    def measure_indicator(self, cmd: MeasureIndicator, ctx: CommandContext) -> None:
        self._require_open("Measuring an indicator")
        self._require_known_actions([cmd.action_id], "action_id")
        self._not_in_future(cmd.measured_on, ctx, "measured_on", "measured-in-future")
        self.record(
            IndicatorMeasured(
                **self._header(ctx),
                action_id=cmd.action_id,
                indicator=cmd.name,
                unit=cmd.unit,
                baseline=cmd.baseline,
                target=cmd.target,
                value=cmd.value,
                measured_on=cmd.measured_on,
            )
        )

    def escalate_supplier(self, cmd: EscalateSupplier, ctx: CommandContext) -> None:
        """Recorded beside the remediation: it never moves the incident's status (a sourcing
        decision never closes the remediation)."""
        self._require_open("Escalating a supplier")
        self._require_known_actions([cmd.action_id], "action_id")
        self.record(SupplierEscalated(**self._header(ctx), **cmd.model_dump()))

    # --- Appliers: state changes only ---------------------------------------------------------

    def when_MonitoringVisitRecorded(self, e: MonitoringVisitRecorded) -> None:
        self.state.visits.append(
            Visit(report_id=e.report_id, method=e.method, visited_on=e.visited_on, final=e.final)
        )
        if e.final:
            self.state.final_report_id = e.report_id

    def when_IndicatorMeasured(self, e: IndicatorMeasured) -> None:
        latest = Measurement.model_validate(e.model_dump(include=set(Measurement.model_fields)))
        self.state.measurements = [
            m
            for m in self.state.measurements
            if (m.action_id, m.indicator) != (e.action_id, e.indicator)
        ] + [latest]

    def when_SupplierEscalated(self, e: SupplierEscalated) -> None:
        self.state.escalation_count += 1
