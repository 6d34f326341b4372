"""The normalised vocabulary every connector speaks; no legacy spelling passes above it."""

from __future__ import annotations

import enum
from datetime import timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")


class Gender(enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class EmploymentType(enum.Enum):
    PNS = "PNS"
    PPPK = "PPPK"


class PositionKind(enum.Enum):
    STRUCTURAL = "STRUCTURAL"
    FUNCTIONAL = "FUNCTIONAL"
    EXECUTIVE = "EXECUTIVE"


class ActivityKind(enum.Enum):
    WORK = "WORK"
    OFFICIAL_TRAVEL = "OFFICIAL_TRAVEL"
    LEAVE = "LEAVE"
    PERMIT = "PERMIT"
    SICK = "SICK"


class ReviewStatus(enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class PaymentType(enum.Enum):
    UP = "UP"
    GU = "GU"
    TU = "TU"
    LS = "LS"


class LsKind(enum.Enum):
    SALARY = "SALARY"
    ALLOWANCE = "ALLOWANCE"
    GOODS_SERVICES = "GOODS_SERVICES"


class PaymentStatus(enum.Enum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"
    ORDER_ISSUED = "ORDER_ISSUED"
    ORDER_REJECTED = "ORDER_REJECTED"
    DISBURSED = "DISBURSED"


class OrderStatus(enum.Enum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class Document(enum.Enum):
    SPP = "SPP"
    SPM = "SPM"
    SP2D = "SP2D"


class FinanceRoleKind(enum.Enum):
    TREASURER = "TREASURER"
    ACTIVITY_OFFICER = "ACTIVITY_OFFICER"
    VERIFIER = "VERIFIER"
    BUDGET_USER = "BUDGET_USER"
    TREASURY = "TREASURY"


class PaymentOrderBy(enum.Enum):
    REQUESTED_AT_DESC = "REQUESTED_AT_DESC"
    REQUESTED_AT_ASC = "REQUESTED_AT_ASC"
    AMOUNT_DESC = "AMOUNT_DESC"
    AMOUNT_ASC = "AMOUNT_ASC"
    NUMBER_DESC = "NUMBER_DESC"
    NUMBER_ASC = "NUMBER_ASC"
    DISBURSED_AT_DESC = "DISBURSED_AT_DESC"
    DISBURSED_AT_ASC = "DISBURSED_AT_ASC"


class BudgetLineOrderBy(enum.Enum):
    CEILING_DESC = "CEILING_DESC"
    CEILING_ASC = "CEILING_ASC"
    COMMITTED_DESC = "COMMITTED_DESC"
    COMMITTED_ASC = "COMMITTED_ASC"
    DISBURSED_DESC = "DISBURSED_DESC"
    DISBURSED_ASC = "DISBURSED_ASC"
    REMAINING_DESC = "REMAINING_DESC"
    REMAINING_ASC = "REMAINING_ASC"
    ABSORPTION_DESC = "ABSORPTION_DESC"
    ABSORPTION_ASC = "ABSORPTION_ASC"


class PaymentRequestDimension(enum.Enum):
    """What payment-request statistics group by."""

    DEPARTMENT = "DEPARTMENT"
    FISCAL_YEAR = "FISCAL_YEAR"
    TYPE = "TYPE"
    LS_KIND = "LS_KIND"
    STATUS = "STATUS"
    TREASURER = "TREASURER"
    BUDGET_LINE = "BUDGET_LINE"
    ACCOUNT = "ACCOUNT"
    REQUESTED = "REQUESTED"
    DISBURSED = "DISBURSED"
    CLOCK_STATE = "CLOCK_STATE"


class ActivityDimension(enum.Enum):
    """What activity statistics group by."""

    DEPARTMENT = "DEPARTMENT"
    UNIT = "UNIT"
    EMPLOYEE = "EMPLOYEE"
    KIND = "KIND"
    STATUS = "STATUS"
    STARTED = "STARTED"


class EmployeeDimension(enum.Enum):
    """What employee statistics group by."""

    DEPARTMENT = "DEPARTMENT"
    UNIT = "UNIT"
    EMPLOYMENT_TYPE = "EMPLOYMENT_TYPE"
    RANK = "RANK"
    POSITION_KIND = "POSITION_KIND"
    ACTIVE = "ACTIVE"
