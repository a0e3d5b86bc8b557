"""The TUI's modal forms: each returns the keyword arguments of one service call, or None."""

from caseload.tui.forms.careplan import GoalForm, InterventionForm, ProblemForm
from caseload.tui.forms.contact import ContactForm
from caseload.tui.forms.followup import CompleteFollowUpForm, FollowUpForm
from caseload.tui.forms.patient import DischargePatientForm, PatientForm
from caseload.tui.forms.referral import ReferralStatusForm
from caseload.tui.forms.transition import HospitalDischargeForm

__all__ = [
    "CompleteFollowUpForm",
    "ContactForm",
    "DischargePatientForm",
    "FollowUpForm",
    "GoalForm",
    "HospitalDischargeForm",
    "InterventionForm",
    "PatientForm",
    "ProblemForm",
    "ReferralStatusForm",
]
