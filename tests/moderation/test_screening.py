"""What the detector reads of a post: a thread's title with its first post, and posts in
languages it cannot read, which go to moderators instead of passing silently."""

from __future__ import annotations

import pytest

from forum import services as forum_services
from moderation import detector, services
from moderation.models import CategorySettings, Notice, Review
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

SPANISH = (
    "Tengo dolor en el pecho y me cuesta respirar cuando corro, ¿debo ir a urgencias o "
    "puedo esperar a mañana?"
)


@pytest.fixture
def real_detector():
    detector.reset_model()
    yield
    detector.reset_model()


def live_notices(post):
    return list(Notice.objects.filter(post=post, removed__isnull=True))


# --- Title and first post -------------------------------------------------------------------


def test_a_question_asked_only_in_the_title_gets_a_notice(real_detector, member, make_thread):
    thread = make_thread(
        member,
        title="Knee swells up after every long run, should I get it checked?",
        body="See title, thanks",
    )
    first = thread.posts.get(number=1)
    assert first.review.flagged
    assert first.review.status == Review.Status.PENDING
    (notice,) = live_notices(first)
    assert notice.severity == "advice"


def test_renaming_a_thread_screens_its_first_post_again(stub_detector, member, make_thread):
    thread = make_thread(member, title="Deadlift day", body="See title, thanks")
    first = thread.posts.get(number=1)
    assert live_notices(first) == []

    forum_services.thread_edit_title(actor=member, thread=thread, title="[advice] my knee?")
    first.review.refresh_from_db()
    assert first.review.status == Review.Status.PENDING
    assert [n.severity for n in live_notices(first)] == ["advice"]

    forum_services.thread_edit_title(actor=member, thread=thread, title="Deadlift day, solved")
    first.review.refresh_from_db()
    assert first.review.status == Review.Status.CLEAR
    assert live_notices(first) == []


def test_replies_are_read_without_the_title(stub_detector, member, make_thread):
    thread = make_thread(member, title="[advice] my knee?", body="See title")
    reply = forum_services.post_reply(author=member, thread=thread, body="Same here, following")
    reply.review.refresh_from_db()
    assert reply.review.status == Review.Status.CLEAR
    assert thread.posts.get(number=1).review.status == Review.Status.PENDING


def test_screening_text_puts_the_title_above_the_first_post_only(member, make_thread):
    thread = make_thread(member, title="Sore heel", body="Any ideas?", replies=1)
    first, reply = thread.posts.order_by("number")
    assert services.screening_text(first) == "Sore heel\nAny ideas?"
    assert services.screening_text(reply) == reply.source


# --- Languages the detector cannot read ---------------------------------------------------


def test_a_post_in_an_unsupported_language_goes_to_the_queue_as_not_screened(
    real_detector, make_post
):
    post = make_post(SPANISH)
    review = post.review
    assert review.status == Review.Status.PENDING
    assert review.reason == Review.Reason.LANGUAGE
    assert review.language == "es"
    # Not read is not flagged: no notice is shown to readers on a guess.
    assert review.flagged is False
    assert live_notices(post) == []
    assert review in services_queue()


def test_an_english_edit_of_a_foreign_post_is_screened_normally(real_detector, member, make_post):
    post = make_post(SPANISH)
    forum_services.post_edit(editor=member, post=post, body="Post your PRs of the week")
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.CLEAR
    assert post.review.reason == Review.Reason.NONE
    assert post.review.language == "en"


def test_a_dismissed_post_edited_into_another_language_comes_back(
    real_detector, member, moderator, make_post
):
    post = make_post("Post your PRs of the week, mine is a 180 kg deadlift")
    services.review_dismiss(moderator=moderator, review=post.review)
    forum_services.post_edit(editor=member, post=post, body=SPANISH)
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING
    assert post.review.reason == Review.Reason.LANGUAGE


def test_a_category_with_notices_off_keeps_foreign_posts_out_of_the_queue(real_detector, make_post):
    quiet = CategoryFactory()
    CategorySettings.objects.create(category=quiet, notices_enabled=False)
    post = make_post(SPANISH, in_category=quiet)
    assert post.review.status == Review.Status.CLEAR
    assert post.review.reason == Review.Reason.NONE


# --- Scored just below the threshold ------------------------------------------------------


def test_a_post_just_below_the_threshold_goes_to_the_queue_as_unsure_without_a_notice(
    stub_detector, make_post
):
    post = make_post("[unsure] my shin aches a bit after long runs")
    review = post.review
    assert review.status == Review.Status.PENDING
    assert review.reason == Review.Reason.UNSURE
    assert review.flagged is False and review.severity == "none"
    assert live_notices(post) == []
    assert review in services_queue()


def test_an_edit_out_of_the_unsure_band_clears_the_post(stub_detector, member, make_post):
    post = make_post("[unsure] my shin aches a bit after long runs")
    forum_services.post_edit(editor=member, post=post, body="Post your PRs of the week")
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.CLEAR
    assert post.review.reason == Review.Reason.NONE


def test_an_edit_into_a_clear_ask_flags_an_unsure_post(stub_detector, member, make_post):
    post = make_post("[unsure] my shin aches a bit after long runs")
    forum_services.post_edit(editor=member, post=post, body="[advice] shin splints?")
    post.review.refresh_from_db()
    assert post.review.status == Review.Status.PENDING
    assert post.review.reason == Review.Reason.NONE and post.review.flagged
    assert [n.severity for n in live_notices(post)] == ["advice"]


def test_a_category_with_notices_off_keeps_unsure_posts_out_of_the_queue(stub_detector, make_post):
    quiet = CategoryFactory()
    CategorySettings.objects.create(category=quiet, notices_enabled=False)
    post = make_post("[unsure] my shin aches", in_category=quiet)
    assert post.review.status == Review.Status.CLEAR
    assert post.review.reason == Review.Reason.NONE


def services_queue():
    from moderation.selectors import review_queue

    return list(review_queue())
