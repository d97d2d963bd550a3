"""Roles and what each may do.

A role assignment grants one role over one target (an association, a company, a
site, a division or a household). Permissions are checked per assignment, so a
user who is site manager at one site and guard at another gets the manager's
rights only at the first (see Scope.for_perm).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ASSOCIATION_ADMIN = "association_admin", _("协会管理员")
    ASSOCIATION_STAFF = "association_staff", _("协会工作人员")
    COMPANY_ADMIN = "company_admin", _("企业管理员")
    SITE_MANAGER = "site_manager", _("项目经理")
    GUARD = "guard", _("门岗")
    CLEANER = "cleaner", _("保洁员")
    HEALTH_OFFICER = "health_officer", _("防疫专员")
    AUTHORITY_VIEWER = "authority_viewer", _("街道/社区查看员")
    RESIDENT = "resident", _("居民")
    DONOR = "donor", _("捐赠方")
    CONTENT_EDITOR = "content_editor", _("协会内容编辑")
    VOLUNTEER = "volunteer", _("志愿者")
    VOLUNTEER_COORDINATOR = "volunteer_coordinator", _("志愿者协调员")
    EXPERT = "expert", _("咨询专家")
    TENANT_ADMIN = "tenant_admin", _("入驻企业负责人")
    GRADUATE = "graduate", _("应届毕业生")
    SUPPLIER = "supplier", _("农产品供应商")


class Target(models.TextChoices):
    ASSOCIATION = "association", _("协会")
    COMPANY = "company", _("企业")
    SITE = "site", _("项目")
    DIVISION = "division", _("行政区划")
    HOUSEHOLD = "household", _("住户")


# Which target each role is granted over. A health officer may hold a site or a company.
ROLE_TARGETS: dict[str, frozenset[str]] = {
    Role.ASSOCIATION_ADMIN: frozenset({Target.ASSOCIATION}),
    Role.ASSOCIATION_STAFF: frozenset({Target.ASSOCIATION}),
    Role.COMPANY_ADMIN: frozenset({Target.COMPANY}),
    Role.SITE_MANAGER: frozenset({Target.SITE}),
    Role.GUARD: frozenset({Target.SITE}),
    Role.CLEANER: frozenset({Target.SITE}),
    Role.HEALTH_OFFICER: frozenset({Target.SITE, Target.COMPANY}),
    Role.AUTHORITY_VIEWER: frozenset({Target.DIVISION}),
    Role.RESIDENT: frozenset({Target.HOUSEHOLD}),
    Role.DONOR: frozenset({Target.ASSOCIATION}),
    Role.CONTENT_EDITOR: frozenset({Target.ASSOCIATION}),
    Role.VOLUNTEER: frozenset({Target.ASSOCIATION}),
    Role.VOLUNTEER_COORDINATOR: frozenset({Target.ASSOCIATION}),
    # An expert of the association's consultation pool (lawyers, tax advisers).
    Role.EXPERT: frozenset({Target.ASSOCIATION}),
    # A tenant company of an office or commercial building: its grant is the unit
    # (estates.Household) it leases, so it reaches only its own rows and staff.
    Role.TENANT_ADMIN: frozenset({Target.HOUSEHOLD}),
    # A graduate of the association's job fair: signs up on the public fair page; its
    # reads are its own profile and applications, narrowed by user in jobs/selectors.
    Role.GRADUATE: frozenset({Target.ASSOCIATION}),
    # A supplier certified by the association's produce programme: its reads are its
    # own supplier's products and purchase orders, narrowed by user in produce/selectors.
    Role.SUPPLIER: frozenset({Target.ASSOCIATION}),
}

_VIEW_ESTATES = {"estates.view_site", "estates.view_building", "estates.view_household"}
_VIEW_PEOPLE = {"estates.view_resident", "estates.view_staff"}
_EDIT_ESTATES = {
    "estates.change_site",
    "estates.change_building",
    "estates.change_household",
    "estates.change_resident",
    "estates.change_staff",
    "estates.import_resident",
    "estates.export_resident",
}

_GATE = {
    "access.view_event",
    "access.check_in",
    "access.view_pass",
    "access.log_delivery",
    "access.view_visitor",
    "access.register_visitor",
}
_GATE_ADMIN = _GATE | {
    "access.change_policy",
    "access.issue_pass",
    "access.manage_device",
    "access.view_alert",
    "access.view_followup",
    "access.change_followup",
    "access.export_event",
}

# Health data (issue #4). Risk lists are shared reference data the association keeps.
_HEALTH_VIEW = {
    "health.view_declaration",
    "health.view_workitem",
    "health.view_isolation",
    "health.view_support",
    "health.view_vulnerable",
    "health.view_alert",
}
_HEALTH_WORK = _HEALTH_VIEW | {
    "health.add_declaration",
    "health.import_declaration",
    "health.change_workitem",
    "health.change_isolation",
    "health.record_check",
    "health.change_support",
    "health.record_vulnerable_check",
    "health.change_alert",
}
_HEALTH_ADMIN = _HEALTH_WORK | {"health.change_config", "health.manage_facility"}

# Disinfection (issue #5). Guides are the association's; overrides the company's.
_SANITATION_DO = {"sanitation.view_task", "sanitation.do_task"}
_SANITATION_ADMIN = _SANITATION_DO | {
    "sanitation.change_plan",
    "sanitation.view_compliance",
    "sanitation.export_compliance",
    "sanitation.view_alert",
    "sanitation.change_alert",
}

# Daily reports and the command centre (issue #6). Authorities read reports of their
# division; the association sees aggregates only (reports.view_overview).
_REPORTS_SITE = {
    "reports.view_dailyreport",
    "reports.submit_report",
    "reports.export_report",
    "reports.view_rollup",
    "reports.view_command",
    "reports.act_alert",
}
_REPORTS_AUTHORITY = {
    "reports.view_dailyreport",
    "reports.export_report",
    "reports.view_rollup",
    "reports.view_command",
}
_REPORTS_ASSOCIATION = {"reports.view_overview", "reports.manage_webhook"}

# Protective supplies (issue #7). The association coordinates; companies and sites
# request, receive and record use; a donor sees where its own gifts went.
_SUPPLIES_COORDINATE = {
    "supplies.view_all",
    "supplies.coordinate",
}
_SUPPLIES_SITE = {
    "supplies.view_stock",
    "supplies.request_supplies",
    "supplies.receive_shipment",
    "supplies.record_consumption",
}

# Notices (issue #15). Senders write and publish notices and see their read receipts;
# recipients (residents, and staff at the sites a notice reaches) read their own.
NOTICES_READ = "notices.read_notice"
_NOTICES_SEND = {"notices.view_notice", "notices.publish_notice", "notices.view_receipts"}

# Surveys (issue #19). The association writes, opens and reads its surveys; its
# research group (the admin) sees exact figures, staff small cells suppressed; a
# company admin answers the company surveys and sees its own response only.
_SURVEYS_MANAGE = {"surveys.manage_survey", "surveys.view_results", "surveys.export_response"}
SURVEYS_ANSWER = "surveys.answer_company"

# Volunteers, duty and staff safety (issue #20). The association vets and sees every
# volunteer; a company signs up and sees its own people; sites run deployments,
# shifts, support tasks, daily checks and kit. A volunteer login holds
# `volunteers.view_own` over its association: its reads are its own record (and its
# team's, as leader), narrowed by user in volunteers/selectors.
_VOLUNTEERS_COORDINATE = {
    "volunteers.view_volunteer",
    "volunteers.change_volunteer",
    "volunteers.vet_volunteer",
    "volunteers.view_duty",
    # Sends its volunteers (public sign-ups too) to member companies' hospitals and
    # isolation points; the site's own managers then plan their shifts.
    "volunteers.deploy_volunteer",
}
_VOLUNTEERS_COMPANY = {"volunteers.view_volunteer", "volunteers.change_volunteer"}
_VOLUNTEERS_DUTY = {"volunteers.view_duty", "volunteers.manage_duty", "volunteers.record_check"}
VOLUNTEERS_OWN = {"volunteers.view_own", "volunteers.do_task"}

# Consultations (issue #21). A member company asks; the association's desk assigns
# to experts and sees every consultation; an expert reads and answers only the
# consultations assigned to it (narrowed by user in consultations/selectors).
_CONSULT_ASK = {
    "consultations.ask",
    "consultations.view_consultation",
    "consultations.view_session",
}
_CONSULT_DESK = {
    "consultations.run_desk",
    "consultations.view_consultation",
    "consultations.view_session",
}
_CONSULT_EXPERT = {"consultations.answer", "consultations.view_consultation"}

# Back to work in office and commercial buildings (issue #21). The building's
# managers register tenants and approve their resumption; a tenant's own admin
# applies and registers its returning staff; the association reads the figures.
_RESUMPTION_MANAGE = {"resumption.manage_building"}
_RESUMPTION_TENANT = {"resumption.act_tenant"}
_RESUMPTION_ASSOCIATION = {"resumption.view_figures"}

# Training (issue #22). The association writes courses and reads every figure; a
# company enrols its staff (one by one or by Excel) and follows their progress; a
# site manager sees its roster's completions; every staff login learns its own
# enrolments (narrowed by user in training/selectors).
_TRAINING_MANAGE = {"training.manage_course", "training.view_figures"}
_TRAINING_COMPANY = {"training.enrol_staff", "training.view_progress", "training.view_figures"}
_TRAINING_SITE = {"training.enrol_staff", "training.view_progress"}
TRAINING_LEARN = "training.learn"

# The online job fair (issue #22). The association runs fairs and reads their
# figures; a verified member company employs (booth, positions, its own applicants);
# a graduate applies (its own profile and applications only).
_JOBS_MANAGE = {"jobs.manage_fair", "jobs.view_figures"}
_JOBS_EMPLOY = {"jobs.employ"}
_JOBS_APPLY = {"jobs.apply"}

# The produce programme (issue #23). The association certifies suppliers and runs
# campaigns; a company runs campaigns for its sites; a site manager receives
# deliveries, distributes and orders for households without a phone; an owner orders
# for its household; a supplier sees and confirms its own purchase orders.
_MARKET_MANAGE = {"market.manage_programme", "market.run_campaign", "market.view_impact"}
_MARKET_COMPANY = {"market.run_campaign", "market.run_site", "market.view_impact"}
_MARKET_SITE = {"market.run_site"}
_MARKET_ORDER = {"market.order"}
_MARKET_SUPPLY = {"market.supply"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ASSOCIATION_ADMIN: frozenset(
        {
            "orgs.view_company",
            "orgs.change_company",
            "orgs.add_company",
            "orgs.view_association",
            "health.change_risklist",
            "sanitation.change_guide",
            "core.view_jobs",  # the periodic jobs' runs (platform operations)
            "publishing.view_reading",  # the public site's reading figures
        }
        | _REPORTS_ASSOCIATION
        | _SUPPLIES_COORDINATE
        | _NOTICES_SEND
        | _SURVEYS_MANAGE
        | {"surveys.view_research"}
        | _VOLUNTEERS_COORDINATE
        | _CONSULT_DESK
        | _RESUMPTION_ASSOCIATION
        | _TRAINING_MANAGE
        | _JOBS_MANAGE
        | _MARKET_MANAGE
    ),
    Role.ASSOCIATION_STAFF: frozenset(
        {
            "orgs.view_company",
            "orgs.view_association",
            "health.change_risklist",
            "sanitation.change_guide",
            "reports.view_overview",
            "publishing.view_reading",  # the public site's reading figures
        }
        | _SUPPLIES_COORDINATE
        | _NOTICES_SEND
        | _SURVEYS_MANAGE
        | _VOLUNTEERS_COORDINATE
        | _CONSULT_DESK
        | _RESUMPTION_ASSOCIATION
        | _TRAINING_MANAGE
        | _JOBS_MANAGE
        | _MARKET_MANAGE
    ),
    Role.COMPANY_ADMIN: frozenset(
        _VIEW_ESTATES
        | _VIEW_PEOPLE
        | _EDIT_ESTATES
        | _GATE_ADMIN
        | _HEALTH_ADMIN
        | _SANITATION_ADMIN
        | _REPORTS_SITE
        | _SUPPLIES_SITE
        | {
            "sanitation.change_override",
            "estates.add_site",
            "people.reveal",
            "core.view_accesslog",
            "orgs.view_company",
            "orgs.change_company",
            NOTICES_READ,
            "publishing.view_edition",  # the company's own editions of the guides
            "publishing.change_edition",
            SURVEYS_ANSWER,
        }
        | _NOTICES_SEND
        | _VOLUNTEERS_COMPANY
        | _VOLUNTEERS_DUTY
        | _CONSULT_ASK
        | _RESUMPTION_MANAGE
        | _TRAINING_COMPANY
        | {TRAINING_LEARN}
        | _JOBS_EMPLOY
        | _MARKET_COMPANY
    ),
    Role.SITE_MANAGER: frozenset(
        _VIEW_ESTATES
        | _VIEW_PEOPLE
        | _EDIT_ESTATES
        | _GATE_ADMIN
        | _HEALTH_ADMIN
        | _SANITATION_ADMIN
        | _REPORTS_SITE
        | _SUPPLIES_SITE
        | _NOTICES_SEND
        | {"people.reveal", "core.view_accesslog", NOTICES_READ}
        | _VOLUNTEERS_DUTY
        | _RESUMPTION_MANAGE
        | _TRAINING_SITE
        | {TRAINING_LEARN}
        | _MARKET_SITE
    ),
    Role.HEALTH_OFFICER: frozenset(
        _VIEW_ESTATES
        | _VIEW_PEOPLE
        | {
            "people.reveal",
            "access.view_event",
            "access.view_alert",
            "access.view_followup",
            "access.change_followup",
        }
        | _HEALTH_WORK
        | {"reports.view_command", "reports.act_alert"}
        # Reads the notices of its site or company and their receipts; does not send.
        | {"notices.view_notice", "notices.view_receipts", NOTICES_READ}
        | {"volunteers.view_duty", "volunteers.record_check"}
        | {TRAINING_LEARN}
    ),
    Role.GUARD: frozenset(
        _VIEW_ESTATES | _GATE | {"estates.view_resident", NOTICES_READ, TRAINING_LEARN}
    ),
    Role.CLEANER: frozenset(
        {"estates.view_site", "estates.view_building", NOTICES_READ}
        | _SANITATION_DO
        | {"volunteers.do_task"}  # support tasks and check-in when deployed (staff)
        | {TRAINING_LEARN}
    ),
    # Flagged cases of its own division, masked, every read logged; notices to the
    # residents and staff of the sites in its division.
    Role.AUTHORITY_VIEWER: frozenset({"health.view_flagged"} | _REPORTS_AUTHORITY | _NOTICES_SEND),
    Role.RESIDENT: frozenset(
        {
            "estates.view_household",
            "estates.view_resident",
            "access.view_pass",
            "access.view_visitor",
            "access.register_visitor",
            "health.declare_own",
            "health.record_own_check",
            "health.request_support",
            NOTICES_READ,
        }
        | _MARKET_ORDER
    ),
    Role.DONOR: frozenset({"supplies.view_own_donations"}),
    # Writes the association's public pages in the Wagtail editor (publishing/); what
    # it may do there is Wagtail's "Editors" group (publishing/services/editors.py).
    Role.CONTENT_EDITOR: frozenset({"publishing.view_reading"}),
    Role.VOLUNTEER: frozenset(VOLUNTEERS_OWN),
    Role.VOLUNTEER_COORDINATOR: frozenset(_VOLUNTEERS_COORDINATE | {"orgs.view_association"}),
    Role.EXPERT: frozenset(_CONSULT_EXPERT),
    # Its own unit and returning staff (declared as the unit's residents), their passes.
    Role.TENANT_ADMIN: frozenset(
        {"estates.view_household", "estates.view_resident", "access.view_pass", NOTICES_READ}
        | _RESUMPTION_TENANT
    ),
    Role.GRADUATE: frozenset(_JOBS_APPLY),
    Role.SUPPLIER: frozenset(_MARKET_SUPPLY),
}

# Roles whose accounts hold other people's data: they must use 2FA when required.
TWO_FACTOR_ROLES = frozenset({Role.ASSOCIATION_ADMIN, Role.COMPANY_ADMIN})
