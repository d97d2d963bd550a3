"""The jobs API's shared output schemas."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field

from firstline.core.api import Choice, NonNegativeInt, Schema
from firstline.jobs.models import Application, Employer, Position


class JobFairOut(Schema):
    id: int
    association_id: int
    title: str
    starts_on: date
    ends_on: date
    description: str
    published: bool


class JobEmployerOut(Schema):
    id: int
    company_id: int
    fair_id: int
    state: Choice(Employer.State)
    booth_name: str
    introduction: str
    contact_name: str
    phone: str = Field(alias="phone_masked")
    booth_staff: int


class JobPositionOut(Schema):
    id: int
    company_id: int
    fair_id: int
    employer_id: int
    title: str
    city: str
    salary_min: int
    salary_max: int
    requirements: str
    headcount: int
    state: Choice(Position.State)


class JobApplicationOut(Schema):
    id: int
    company_id: int
    fair_id: int
    position_id: int
    position_title: str = Field(alias="position.title")
    state: Choice(Application.State)
    created_at: datetime
    offer_salary: int | None
    offer_note: str
    outcome_note: str


class JobApplicantOut(JobApplicationOut):
    graduate_name: str = Field(alias="graduate.name")
    school: str = Field(alias="graduate.school")
    major: str = Field(alias="graduate.major")
    graduation_year: int = Field(alias="graduate.graduation_year")
    phone: str = Field(alias="graduate.phone_masked")
    has_cv: bool

    @staticmethod
    def resolve_has_cv(obj) -> bool:
        return bool(obj.graduate.cv_name) and obj.graduate.consent


class JobSlotOut(Schema):
    id: int
    company_id: int
    position_id: int
    starts_at: datetime
    ends_at: datetime
    meeting_link: str


class JobFiguresOut(Schema):
    employers: NonNegativeInt
    positions: NonNegativeInt
    headcount: NonNegativeInt
    graduates: NonNegativeInt
    applications: NonNegativeInt
    interviews: NonNegativeInt
    offers: NonNegativeInt
    booth_staff: NonNegativeInt
    visitor_days: NonNegativeInt
    participants: NonNegativeInt
