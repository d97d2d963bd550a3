"""A cleaner's tap: done once, idempotent on the phone's UUID, photo cleaned of its
metadata, batch kept; done stays done, cancelled refuses.

The areas, entries and tasks are made directly (rows.py); `furnish` and the photo
helpers at the top are shared by the other test modules of the cleaner's part."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from firstline.core.models import AuditEvent
from firstline.sanitation.models import AuditAction, Task
from firstline.sanitation.services.completion import task_complete
from firstline.sanitation.tests.rows import make_area, make_entry, make_task

# --- helpers (shared by the cleaner's test modules) -------------------------------------------


def furnish(tenant, day=None) -> dict:
    """One lift area with an entry of three slots today (8, 12, 16 h)."""
    area = make_area(tenant)
    entry = make_entry(area)
    tasks = [make_task(entry, day, slot=i + 1, hour=h) for i, h in enumerate((8, 12, 16))]
    return {"area": area, "entry": entry, "tasks": tasks}


def jpeg_with_gps(size=(80, 60)) -> bytes:
    image = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 35.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def reload(task: Task) -> Task:
    return Task.all_tenants.get(pk=task.pk)


# --- tests --------------------------------------------------------------------------------------


@pytest.fixture
def tasks(world):
    return furnish(world.a)["tasks"]


def test_tap_marks_done_with_batch_and_audit(world, tasks):
    cleaner = world.a.users["cleaner"]
    now = timezone.now()
    result = task_complete(task=tasks[0], actor=cleaner, batch=" 20200214-3 ", now=now)
    assert not result.duplicate and not result.already_done
    task = reload(tasks[0])
    assert (task.state, task.done_at, task.done_by_id, task.source, task.batch) == (
        "done",
        now,
        cleaner.pk,
        "cleaner",
        "20200214-3",
    )
    audit = AuditEvent.objects.get(object_type="sanitation.task", object_id=str(task.pk))
    assert (audit.action, audit.actor_id, audit.company_id) == (
        AuditAction.TASK_COMPLETE,
        cleaner.pk,
        world.a.company.pk,
    )
    assert reload(tasks[1]).state == "pending"


def test_replay_of_the_same_uuid_returns_the_original(world, tasks):
    cleaner = world.a.users["cleaner"]
    key = uuid.uuid4()
    first = task_complete(task=tasks[0], actor=cleaner, batch="B1", client_uuid=key)
    replay = task_complete(task=tasks[0], actor=cleaner, batch="B2", client_uuid=str(key))
    assert replay.duplicate and replay.task.pk == first.task.pk
    assert reload(tasks[0]).batch == "B1"  # the replay changed nothing
    assert AuditEvent.objects.filter(object_type="sanitation.task").count() == 1


def test_uuid_of_another_task_is_refused(world, tasks):
    cleaner = world.a.users["cleaner"]
    key = uuid.uuid4()
    task_complete(task=tasks[0], actor=cleaner, client_uuid=key)
    with pytest.raises(ValidationError) as exc:
        task_complete(task=tasks[1], actor=cleaner, client_uuid=key)
    assert "client_uuid" in exc.value.message_dict
    assert reload(tasks[1]).state == "pending"


def test_done_stays_done_second_tap_is_told(world, tasks):
    first = world.a.users["cleaner"]
    second = world.a.users["site_manager"]
    task_complete(task=tasks[0], actor=first, batch="B1")
    stale = tasks[0]  # the second phone loaded the page before the first tap
    again = task_complete(task=stale, actor=second, batch="B9", client_uuid=uuid.uuid4())
    assert again.already_done and not again.duplicate
    assert again.message == "已完成"
    task = reload(tasks[0])
    assert (task.done_by_id, task.batch, task.client_uuid) == (first.pk, "B1", None)


def test_cancelled_task_refuses(world, tasks):
    Task.all_tenants.filter(pk=tasks[0].pk).update(state="cancelled")
    with pytest.raises(ValidationError) as exc:
        task_complete(task=reload(tasks[0]), actor=world.a.users["cleaner"])
    assert "已取消" in exc.value.message_dict["task"][0]
    assert reload(tasks[0]).state == "cancelled"


def test_batch_too_long_names_the_field(world, tasks):
    with pytest.raises(ValidationError) as exc:
        task_complete(task=tasks[0], actor=world.a.users["cleaner"], batch="x" * 65)
    assert "batch" in exc.value.message_dict
    assert reload(tasks[0]).state == "pending"


def test_photo_is_reencoded_without_gps(world, tasks, memory_storage):
    upload = SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")
    assert Image.open(io.BytesIO(jpeg_with_gps())).getexif().get(0x8825)
    task_complete(task=tasks[0], actor=world.a.users["cleaner"], photo=upload)
    task = reload(tasks[0])
    assert task.photo.name.startswith("sanitation/") and task.photo.name.endswith(".jpg")
    with task.photo.open("rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
    assert stored.format == "JPEG"
    assert not stored.getexif()  # no EXIF at all, so no position


def test_not_an_image_names_photo_and_saves_nothing(world, tasks, memory_storage):
    upload = SimpleUploadedFile("p.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        task_complete(task=tasks[0], actor=world.a.users["cleaner"], photo=upload)
    assert "photo" in exc.value.message_dict
    assert reload(tasks[0]).state == "pending"


def test_photo_over_5_mb_is_refused(world, tasks, memory_storage):
    upload = SimpleUploadedFile("p.jpg", b"\xff" * (5 * 1024 * 1024 + 1), content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        task_complete(task=tasks[0], actor=world.a.users["cleaner"], photo=upload)
    assert "5 MB" in exc.value.message_dict["photo"][0]


def test_bad_uuid_names_the_field(world, tasks):
    with pytest.raises(ValidationError) as exc:
        task_complete(task=tasks[0], actor=world.a.users["cleaner"], client_uuid="nope")
    assert "client_uuid" in exc.value.message_dict


def test_same_uuid_in_two_companies_is_two_completions(world, tasks):
    key = uuid.uuid4()
    other = furnish(world.b)["tasks"][0]
    task_complete(task=tasks[0], actor=world.a.users["cleaner"], client_uuid=key)
    result = task_complete(task=other, actor=world.b.users["cleaner"], client_uuid=key)
    assert not result.duplicate
    assert reload(other).state == "done"


def test_helpers_make_a_day_of_slots(world):
    made = furnish(world.a, day=timezone.localdate() - timedelta(days=1))
    assert [t.slot for t in made["tasks"]] == [1, 2, 3]
