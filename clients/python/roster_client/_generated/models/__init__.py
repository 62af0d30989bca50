"""Contains all the data models used in inputs/outputs"""

from .activities_list_position import ActivitiesListPosition
from .activity import Activity
from .activity_batch import ActivityBatch
from .activity_batch_activities_item import ActivityBatchActivitiesItem
from .activity_batch_response import ActivityBatchResponse
from .activity_batch_result import ActivityBatchResult
from .activity_batch_result_error_type_0 import ActivityBatchResultErrorType0
from .activity_data import ActivityData
from .activity_page import ActivityPage
from .activity_write import ActivityWrite
from .activity_write_data import ActivityWriteData
from .api_key import ApiKey
from .api_key_create import ApiKeyCreate
from .api_key_create_scopes_item import ApiKeyCreateScopesItem
from .api_key_created import ApiKeyCreated
from .api_key_page import ApiKeyPage
from .api_keys_list_position import ApiKeysListPosition
from .batch_body import BatchBody
from .batch_body_contacts_item import BatchBodyContactsItem
from .batch_body_match_on_type_0 import BatchBodyMatchOnType0
from .batch_body_mode import BatchBodyMode
from .bulk_action_body import BulkActionBody
from .bulk_action_body_action import BulkActionBodyAction
from .bulk_action_body_params import BulkActionBodyParams
from .consent_event import ConsentEvent
from .consent_history_position import ConsentHistoryPosition
from .consent_optouts_channel_type_0 import ConsentOptoutsChannelType0
from .consent_optouts_position import ConsentOptoutsPosition
from .consent_page import ConsentPage
from .contact import Contact
from .contact_batch_response import ContactBatchResponse
from .contact_batch_result import ContactBatchResult
from .contact_batch_result_error_type_0 import ContactBatchResultErrorType0
from .contact_batch_result_status import ContactBatchResultStatus
from .contact_create import ContactCreate
from .contact_create_custom_fields import ContactCreateCustomFields
from .contact_create_handles import ContactCreateHandles
from .contact_create_preferences import ContactCreatePreferences
from .contact_create_preferences_additional_property import (
    ContactCreatePreferencesAdditionalProperty,
)
from .contact_custom_fields import ContactCustomFields
from .contact_page import ContactPage
from .contact_write import ContactWrite
from .contact_write_custom_fields import ContactWriteCustomFields
from .contact_write_handles import ContactWriteHandles
from .contact_write_preferences import ContactWritePreferences
from .contact_write_preferences_additional_property import (
    ContactWritePreferencesAdditionalProperty,
)
from .contacts_export_format import ContactsExportFormat
from .contacts_export_opted_out_type_0 import ContactsExportOptedOutType0
from .contacts_list_opted_out_type_0 import ContactsListOptedOutType0
from .contacts_list_position import ContactsListPosition
from .contacts_list_sort import ContactsListSort
from .contacts_lookup_identifier import ContactsLookupIdentifier
from .contacts_personal_data_response_200 import ContactsPersonalDataResponse200
from .contacts_upsert_match_on_type_0 import ContactsUpsertMatchOnType0
from .delivery import Delivery
from .delivery_page import DeliveryPage
from .duplicate import Duplicate
from .duplicate_list import DuplicateList
from .event import Event
from .event_data import EventData
from .event_page import EventPage
from .export_body import ExportBody
from .export_body_format import ExportBodyFormat
from .expression import Expression
from .expression_op_type_0 import ExpressionOpType0
from .field_create import FieldCreate
from .field_create_type import FieldCreateType
from .field_definition import FieldDefinition
from .field_definition_type import FieldDefinitionType
from .field_list import FieldList
from .field_update import FieldUpdate
from .handles import Handles
from .imports_create_body import ImportsCreateBody
from .imports_create_body_match_on import ImportsCreateBodyMatchOn
from .imports_create_body_mode import ImportsCreateBodyMode
from .list_create import ListCreate
from .list_detail import ListDetail
from .list_page import ListPage
from .list_summary import ListSummary
from .list_update import ListUpdate
from .lists_members_list_sort import ListsMembersListSort
from .members_add import MembersAdd
from .members_added import MembersAdded
from .merge_body import MergeBody
from .merge_result import MergeResult
from .merge_result_custom_fields import MergeResultCustomFields
from .merge_summary import MergeSummary
from .note import Note
from .note_create import NoteCreate
from .note_page import NotePage
from .note_update import NoteUpdate
from .notes_list_position import NotesListPosition
from .opt_out_page import OptOutPage
from .preferences import Preferences
from .preferences_email import PreferencesEmail
from .preferences_rcs import PreferencesRcs
from .preferences_sms import PreferencesSms
from .preferences_viber import PreferencesViber
from .preferences_voice import PreferencesVoice
from .preferences_whatsapp import PreferencesWhatsapp
from .preferences_write import PreferencesWrite
from .preferences_write_preferences import PreferencesWritePreferences
from .preferences_write_preferences_additional_property import (
    PreferencesWritePreferencesAdditionalProperty,
)
from .preview import Preview
from .preview_body import PreviewBody
from .problem import Problem
from .problem_errors_type_0_item import ProblemErrorsType0Item
from .search_body import SearchBody
from .search_body_sort import SearchBodySort
from .secret import Secret
from .segment_create import SegmentCreate
from .segment_detail import SegmentDetail
from .segment_detail_filter import SegmentDetailFilter
from .segment_page import SegmentPage
from .segment_summary import SegmentSummary
from .segment_summary_filter import SegmentSummaryFilter
from .segment_update import SegmentUpdate
from .segments_contacts_sort import SegmentsContactsSort
from .tag_count import TagCount
from .tag_page import TagPage
from .tags_body import TagsBody
from .test_result import TestResult
from .webhook import Webhook
from .webhook_create import WebhookCreate
from .webhook_page import WebhookPage
from .webhook_update import WebhookUpdate
from .webhook_with_secret import WebhookWithSecret

__all__ = (
    "ActivitiesListPosition",
    "Activity",
    "ActivityBatch",
    "ActivityBatchActivitiesItem",
    "ActivityBatchResponse",
    "ActivityBatchResult",
    "ActivityBatchResultErrorType0",
    "ActivityData",
    "ActivityPage",
    "ActivityWrite",
    "ActivityWriteData",
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreateScopesItem",
    "ApiKeyCreated",
    "ApiKeyPage",
    "ApiKeysListPosition",
    "BatchBody",
    "BatchBodyContactsItem",
    "BatchBodyMatchOnType0",
    "BatchBodyMode",
    "BulkActionBody",
    "BulkActionBodyAction",
    "BulkActionBodyParams",
    "ConsentEvent",
    "ConsentHistoryPosition",
    "ConsentOptoutsChannelType0",
    "ConsentOptoutsPosition",
    "ConsentPage",
    "Contact",
    "ContactBatchResponse",
    "ContactBatchResult",
    "ContactBatchResultErrorType0",
    "ContactBatchResultStatus",
    "ContactCreate",
    "ContactCreateCustomFields",
    "ContactCreateHandles",
    "ContactCreatePreferences",
    "ContactCreatePreferencesAdditionalProperty",
    "ContactCustomFields",
    "ContactPage",
    "ContactWrite",
    "ContactWriteCustomFields",
    "ContactWriteHandles",
    "ContactWritePreferences",
    "ContactWritePreferencesAdditionalProperty",
    "ContactsExportFormat",
    "ContactsExportOptedOutType0",
    "ContactsListOptedOutType0",
    "ContactsListPosition",
    "ContactsListSort",
    "ContactsLookupIdentifier",
    "ContactsPersonalDataResponse200",
    "ContactsUpsertMatchOnType0",
    "Delivery",
    "DeliveryPage",
    "Duplicate",
    "DuplicateList",
    "Event",
    "EventData",
    "EventPage",
    "ExportBody",
    "ExportBodyFormat",
    "Expression",
    "ExpressionOpType0",
    "FieldCreate",
    "FieldCreateType",
    "FieldDefinition",
    "FieldDefinitionType",
    "FieldList",
    "FieldUpdate",
    "Handles",
    "ImportsCreateBody",
    "ImportsCreateBodyMatchOn",
    "ImportsCreateBodyMode",
    "ListCreate",
    "ListDetail",
    "ListPage",
    "ListSummary",
    "ListUpdate",
    "ListsMembersListSort",
    "MembersAdd",
    "MembersAdded",
    "MergeBody",
    "MergeResult",
    "MergeResultCustomFields",
    "MergeSummary",
    "Note",
    "NoteCreate",
    "NotePage",
    "NoteUpdate",
    "NotesListPosition",
    "OptOutPage",
    "Preferences",
    "PreferencesEmail",
    "PreferencesRcs",
    "PreferencesSms",
    "PreferencesViber",
    "PreferencesVoice",
    "PreferencesWhatsapp",
    "PreferencesWrite",
    "PreferencesWritePreferences",
    "PreferencesWritePreferencesAdditionalProperty",
    "Preview",
    "PreviewBody",
    "Problem",
    "ProblemErrorsType0Item",
    "SearchBody",
    "SearchBodySort",
    "Secret",
    "SegmentCreate",
    "SegmentDetail",
    "SegmentDetailFilter",
    "SegmentPage",
    "SegmentSummary",
    "SegmentSummaryFilter",
    "SegmentUpdate",
    "SegmentsContactsSort",
    "TagCount",
    "TagPage",
    "TagsBody",
    "TestResult",
    "Webhook",
    "WebhookCreate",
    "WebhookPage",
    "WebhookUpdate",
    "WebhookWithSecret",
)
