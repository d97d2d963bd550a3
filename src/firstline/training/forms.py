"""Forms of the training pages: choices limited to the user's scope (the base view
hands every form its `scope`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.models import Staff
from firstline.training import selectors
from firstline.training.models import Course, Lesson, LiveSession, Question


class EmptyForm(forms.Form):
    """An action confirmed by a button (the object is the URL's)."""

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)


class EnrolForm(forms.Form):
    staff = forms.ModelChoiceField(label=_("员工"), queryset=Staff.objects.none())
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.none())

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = Staff.objects.for_scope(scope).order_by("site_id", "name")
        self.fields["course"].queryset = selectors.courses(scope)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("报名表（Excel）"))

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)


class SessionRegisterForm(forms.Form):
    session = forms.ModelChoiceField(label=_("直播课"), queryset=LiveSession.objects.none())

    def __init__(self, *args, scope, course_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = selectors.sessions(scope).filter(course_id=course_id)


class QuizForm(forms.Form):
    """One field per question drawn: radio buttons (single) or check boxes (multiple)."""

    def __init__(self, *args, scope=None, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            choices = [(str(i), text) for i, text in enumerate(q.options)]
            if q.kind == Question.Kind.MULTIPLE:
                field = forms.MultipleChoiceField(
                    label=q.text,
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
            else:
                field = forms.ChoiceField(
                    label=q.text, choices=choices, widget=forms.RadioSelect, required=False
                )
            self.fields[f"q{q.pk}"] = field

    def answers(self) -> dict[str, list[int]]:
        out = {}
        for q in self.questions:
            value = self.cleaned_data.get(f"q{q.pk}") or []
            out[str(q.pk)] = [int(v) for v in ([value] if isinstance(value, str) else value)]
        return out


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title",
            "summary",
            "audience",
            "kind",
            "guide_url",
            "pass_mark",
            "questions_drawn",
            "max_attempts",
            "published",
        ]


class LessonForm(forms.Form):
    title = forms.CharField(label=_("课时名称"), max_length=120)
    kind = forms.ChoiceField(label=_("形式"), choices=Lesson.Kind.choices)
    video = forms.FileField(label=_("视频文件（MP4/WebM）"), required=False)
    meeting_link = forms.URLField(label=_("直播链接"), max_length=300, required=False)
    body = forms.CharField(
        label=_("文档内容"), max_length=20000, required=False, widget=forms.Textarea
    )
    duration_minutes = forms.IntegerField(label=_("时长（分钟）"), min_value=1, max_value=600)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("题型"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("题目"), max_length=300)
    options = forms.CharField(
        label=_("选项"), max_length=2000, widget=forms.Textarea, help_text=_("一行一个选项")
    )
    answer = forms.RegexField(
        label=_("正确答案"),
        regex=r"^\s*\d{1,2}(\s*[,，]\s*\d{1,2})*\s*$",
        max_length=40,
        help_text=_("选项的序号，从 1 起；多选用逗号分隔，如 1,3"),
    )

    def answers(self) -> list[int]:
        return [int(p) - 1 for p in self.cleaned_data["answer"].replace("，", ",").split(",")]


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SessionForm(forms.ModelForm):
    """A live session of a course: online (meeting link) or in person (place)."""

    class Meta:
        model = LiveSession
        fields = ["title", "starts_at", "ends_at", "capacity", "meeting_link", "place"]
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}
        help_texts = {"place": _("线下课填写地点，学员到场扫码签到；线上课填写会议链接。")}

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["capacity"].min_value = 1


def question_initial(question: Question) -> dict:
    return {
        "kind": question.kind,
        "text": question.text,
        "options": "\n".join(question.options),
        "answer": ",".join(str(i + 1) for i in question.answer),
    }
